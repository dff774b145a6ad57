import os

import pytest

from ambientpose_desktop.core.paths import app_paths
from ambientpose_desktop.store import ArtefactStore, UnsafePath, process_alive


@pytest.fixture
def artefacts(ambientpose_home):
    store = ArtefactStore(app_paths().ensure())
    folder = store.task_dir("abc123", create=True)
    (folder / "pose.json").write_text("[]")
    return store


def test_paths_follow_ambientpose_home(ambientpose_home):
    paths = app_paths()
    assert paths.database.is_relative_to(ambientpose_home)
    assert paths.logs.is_relative_to(ambientpose_home)


def test_resolve_inside(artefacts):
    assert artefacts.resolve("abc123", "pose.json").name == "pose.json"


@pytest.mark.parametrize("bad", ["../x", "../../etc/passwd", "/etc/passwd", "a/../../x", "", "."])
def test_resolve_refuses_escapes(artefacts, bad):
    with pytest.raises(UnsafePath):
        artefacts.resolve("abc123", bad)


def test_resolve_refuses_symlink_out(artefacts, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("x")
    os.symlink(outside, artefacts.task_dir("abc123") / "link.txt")
    with pytest.raises(UnsafePath):
        artefacts.resolve("abc123", "link.txt")


def test_task_id_must_be_plain(artefacts):
    with pytest.raises(UnsafePath):
        artefacts.task_dir("../abc")


def test_process_alive():
    assert process_alive(os.getpid())
    assert not process_alive(999_999_999 % 4_000_000 + 3_000_000)
