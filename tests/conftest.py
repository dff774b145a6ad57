"""Shared fixtures: real media from ../shared/media, an isolated AMBIENTPOSE_HOME per test, a
1080p GOP-250 H.264 video, and a real task folder made by the worker."""

from __future__ import annotations

import faulthandler
import os
from pathlib import Path

import pytest

# Tests never need a display; the one that does (Xvfb screenshot) sets its own platform.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("YOLO_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
MEDIA = Path(os.environ.get("AMBIENTPOSE_MEDIA", REPO.parent / "shared" / "media"))


def media_path(relative: str) -> Path:
    """A file under ../shared/media, or skip the test saying why."""
    path = MEDIA / relative
    if not path.exists():
        pytest.skip(f"test media not found: {path} (the shared media folder is absent)")
    return path


@pytest.fixture
def media():
    return media_path


# pytest-timeout (600 s) runs on a Python thread, which a test deadlocked in C code while
# holding the GIL never lets run (seen once: the main thread stuck on a Qt mutex in a viewer
# test). faulthandler's watchdog is a C thread: past this it prints every thread's stack and
# ends the run, well inside CI's own limit. The stacks go to a file (pytest holds fd 2), which
# .ci/run prints.
_HARD_TIMEOUT_S = 900
HANG_REPORT = Path(os.environ.get("TMPDIR", "/tmp")) / "ambientpose-test-hang.txt"


@pytest.fixture(autouse=True)
def _hard_timeout(request):
    with HANG_REPORT.open("w") as report:
        print(f"stuck past {_HARD_TIMEOUT_S} s: {request.node.nodeid}", file=report, flush=True)
        faulthandler.dump_traceback_later(_HARD_TIMEOUT_S, exit=True, file=report)
        yield
        faulthandler.cancel_dump_traceback_later()
    HANG_REPORT.unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def ambientpose_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("AMBIENTPOSE_HOME", str(home))
    return home


@pytest.fixture
def store(ambientpose_home):
    from ambientpose_desktop.store import open_store

    return open_store()


@pytest.fixture(scope="session")
def long_gop_video(tmp_path_factory) -> Path:
    """260 frames of 1080p H.264 with one keyframe every 250 (two GOPs, B-frames)."""
    from tests.synthetic import make_video

    return make_video(tmp_path_factory.mktemp("gop") / "gop250.mp4", frames=260, gop=250,
                      preset="superfast")


@pytest.fixture(scope="session")
def processed_task(tmp_path_factory) -> Path:
    """A task folder from `ambientpose detect` (the embedded default model) on the first 60
    frames of a real street clip with several people (shared media)."""
    from tests.pipeline.worker_helpers import run_detect

    video = media_path("videos/openpose_video.avi")
    out = tmp_path_factory.mktemp("task") / "task"
    proc = run_detect(video, "--output", out, "--max-frames", "60")
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="session")
def finished_task_folder(tmp_path_factory) -> Path:
    """A task folder holding a finished run: the real worker, fake backend, a 5-frame video."""
    from tests.pipeline.worker_helpers import run_detect

    video = media_path("videos/mmpose_demo.mp4").resolve()
    folder = tmp_path_factory.mktemp("finished") / "run"
    proc = run_detect(video, "--backend", "fake", "--output", folder,
                      AMBIENTPOSE_HOME=str(tmp_path_factory.mktemp("worker-home")))
    assert proc.returncode == 0, proc.stderr
    return folder


@pytest.fixture
def task_copy(processed_task, tmp_path) -> Path:
    """A copy of ``processed_task`` that a test may edit (edits are saved in the folder)."""
    import shutil

    return Path(shutil.copytree(processed_task, tmp_path / "task"))


def folder_digest(folder: Path, leave_out: tuple[str, ...] = ()) -> dict[str, str]:
    """sha256 of every file under ``folder`` (but ``leave_out``): "unchanged byte for byte"."""
    import hashlib

    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name not in leave_out}


@pytest.fixture(scope="session")
def dask_cluster():
    """A real ``distributed.LocalCluster``: 2 worker processes, one thread each; its address."""
    pytest.importorskip("distributed")
    from tests.dask_helpers import local_cluster

    cluster = local_cluster()
    yield cluster.scheduler_address
    cluster.close()


@pytest.fixture(scope="session")
def dask_processes():
    """``dask scheduler`` and one ``dask worker`` as processes of their own on 127.0.0.1 (a
    free port); the scheduler's address."""
    pytest.importorskip("distributed")
    from tests.dask_helpers import DaskProcesses

    cluster = DaskProcesses().scheduler().worker()
    try:
        cluster.wait_for_workers(1)
        yield cluster.address
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def media_variants(tmp_path_factory) -> dict[str, Path]:
    """Broken and unusual videos made once from shared media (``tests/media_variants.py``)."""
    from tests.media_variants import make_variants

    return make_variants(tmp_path_factory.mktemp("variants"), media_path)


@pytest.fixture(scope="session")
def repair_clips(tmp_path_factory) -> dict[str, Path]:
    """Long-GOP, short-GOP and damaged copies of the street clip (``tests/repair_media.py``)."""
    from tests.repair_media import make_repair_clips

    return make_repair_clips(tmp_path_factory.mktemp("repair"), media_path)
