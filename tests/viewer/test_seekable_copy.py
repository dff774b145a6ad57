"""The viewer's fast-seeking copy on a real long-GOP video: the slow seeks are said once and
the copy offered; the button makes it, frames then come from it; reopening the task uses it;
a copy with other frames is not used; a cancel leaves nothing behind."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.gui.viewer import frame_loader
from ambientpose_desktop.pipeline.frame_reader import FrameReader
from ambientpose_desktop.pipeline.media_repair import partial_path, sidecar_path
from tests.viewer.driving import key, open_viewer

SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture(scope="module")
def gop_task(tmp_path_factory):
    """A finished task (real worker, fake backend) on 260 frames of 576p GOP-250 H.264 (a
    copy takes a few seconds: long enough to cancel one under way)."""
    from tests.pipeline.worker_helpers import run_detect
    from tests.synthetic import make_video

    root = tmp_path_factory.mktemp("seekable")
    video = make_video(root / "gop250.mp4", frames=260, width=1024, height=576, gop=250,
                       preset="superfast")
    folder = root / "task"
    proc = run_detect(video, "--backend", "fake", "--output", folder,
                      AMBIENTPOSE_HOME=str(root / "home"))
    assert proc.returncode == 0, proc.stderr
    return folder


@pytest.fixture
def task(gop_task, tmp_path):
    """A copy of the task folder (the video stays where it is) without a seekable copy."""
    folder = tmp_path / "task"
    shutil.copytree(gop_task, folder)
    return folder


def _messages(viewer) -> list[str]:
    said = []
    viewer.statusBar().messageChanged.connect(lambda text: text and said.append(text))
    return said


def _shown_bytes(viewer) -> bytes:
    image = viewer.canvas.image
    return bytes(image.constBits())[: image.sizeInBytes()]


def test_slow_seeks_offer_the_copy_once_and_the_viewer_reads_from_it(qtbot, task,
                                                                      monkeypatch):
    monkeypatch.setattr(frame_loader, "SLOW_SEEK_S", 0.0)  # any far seek is "too slow"
    viewer = open_viewer(qtbot, task)
    video = viewer.loader.source
    before = video.stat().st_mtime_ns, video.stat().st_size
    said = _messages(viewer)
    assert not viewer.seekable_button.isVisible()
    for _ in range(6):  # each Shift+→ decodes 10 frames: timed as a far seek
        key(viewer, Qt.Key.Key_Right, SHIFT)
    assert viewer.state.frame == 60
    slow = [text for text in said if text.startswith("Exact frames can take")]
    assert len(slow) == 1 and "keyframe only every 250 frames" in slow[0]
    assert viewer.seekable_button.isVisible()

    qtbot.mouseClick(viewer.seekable_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: viewer.loader.reading_copy, timeout=120_000)
    copy = TaskFolder(task).seekable_copy
    assert viewer.loader.reader.path == copy and len(viewer.loader) == 260
    assert any(text.startswith("Frames now come from the fast-seeking copy") for text in said)
    assert not viewer.seekable_button.isVisible()
    assert (video.stat().st_mtime_ns, video.stat().st_size) == before  # never touched

    viewer.activateWindow()  # back from the progress dialog (a window manager would do it)
    qtbot.waitUntil(viewer.isActiveWindow)
    assert key(viewer, Qt.Key.Key_Right) == 61  # frame 61 of the copy, at display size
    with FrameReader(copy) as reader:
        assert reader.index.longest_gop < 250
        expected = reader.frame(61, "bgra", size=viewer.canvas.display_size()).tobytes()
    assert viewer.canvas.image_index == 61 and _shown_bytes(viewer) == expected
    for _ in range(4):
        key(viewer, Qt.Key.Key_Right, SHIFT)
    assert len([text for text in said if text.startswith("Exact frames")]) == 1

    reopened = open_viewer(qtbot, task)  # reopening the task reads from the copy at once
    assert reopened.loader.reading_copy and len(reopened.loader) == 260


def test_a_copy_with_other_frames_is_not_used(qtbot, task):
    from tests.synthetic import make_video

    make_video(TaskFolder(task).seekable_copy, frames=100, width=1024, height=576, gop=10,
               preset="superfast")
    viewer = open_viewer(qtbot, task)
    assert not viewer.loader.reading_copy and len(viewer.loader) == 260


def test_cancel_leaves_no_partial_copy(qtbot, task):
    viewer = open_viewer(qtbot, task)
    said = _messages(viewer)
    key(viewer, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier | SHIFT)  # File → Make…
    job = viewer.seekable.job
    assert job is not None and job.dialog.isVisible()
    copy = TaskFolder(task).seekable_copy
    qtbot.waitSignal(job.progressed, timeout=60_000, raising=True,
                     check_params_cb=lambda step, done, total: step == "re-encoding").wait()
    # the copy is being written (its partial file open) when the cancel comes
    cancel = job.dialog.findChild(QPushButton)
    with qtbot.waitSignal(job.failed, timeout=60_000):
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert not copy.exists() and not partial_path(copy).exists()
    assert not sidecar_path(copy).exists()
    assert not viewer.loader.reading_copy
    assert said[-1] == "No fast-seeking copy: repair canceled"
