"""Workers launched by the frozen app start clean: their own instance, the user's libraries."""

import sys

from ambientpose_desktop.runner.command import worker_environment, worker_program

BUNDLE = "/opt/AmbientPose/_internal"


def _frozen(monkeypatch, **env: str) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setenv("_PYI_ARCHIVE_FILE", "/opt/AmbientPose/AmbientPose")
    monkeypatch.setenv("_PYI_PARENT_PROCESS_LEVEL", "-1")
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def test_the_frozen_app_is_its_own_worker(monkeypatch):
    _frozen(monkeypatch)
    assert worker_program() == [sys.executable]
    assert worker_program("/opt/alphapose/bin/python")[0] == "/opt/alphapose/bin/python"


def test_worker_gets_the_users_library_path_back(monkeypatch):
    _frozen(monkeypatch, LD_LIBRARY_PATH=f"{BUNDLE}:/usr/local/cuda/lib64",
            LD_LIBRARY_PATH_ORIG="/usr/local/cuda/lib64")
    env = worker_environment()
    assert env["LD_LIBRARY_PATH"] == "/usr/local/cuda/lib64"
    assert "LD_LIBRARY_PATH_ORIG" not in env
    assert not [k for k in env if k.startswith("_PYI_")]
    assert env["PYINSTALLER_RESET_ENVIRONMENT"] == "1"


def test_worker_gets_no_library_path_when_the_user_had_none(monkeypatch):
    monkeypatch.delenv("LD_LIBRARY_PATH_ORIG", raising=False)
    _frozen(monkeypatch, LD_LIBRARY_PATH=BUNDLE)
    assert "LD_LIBRARY_PATH" not in worker_environment(slot=1, gpu_count=2)


def test_unfrozen_environment_is_left_alone(monkeypatch):
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.setenv("LD_LIBRARY_PATH", "/usr/local/cuda/lib64")
    env = worker_environment(slot=1, gpu_count=2)
    assert env["LD_LIBRARY_PATH"] == "/usr/local/cuda/lib64"
    assert env["CUDA_VISIBLE_DEVICES"] == "1" and "PYINSTALLER_RESET_ENVIRONMENT" not in env
