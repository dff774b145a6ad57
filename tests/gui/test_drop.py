"""Dropping real files on the window: what becomes a task, what is refused and why."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from ambientpose_desktop.core.tasks import TaskStatus
from tests.conftest import media_path

WAIT_MS = 30_000


def drop(window, qtbot, paths: list[Path]) -> int:
    """Drop ``paths`` on the window as a file manager would; returns how many were added."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.intakeFinished, timeout=WAIT_MS) as added:
        window.dropEvent(event)
    assert event.isAccepted()
    return added.args[0]


def test_dropping_videos_adds_rows(make_window, qtbot):
    window = make_window(paused=True)
    videos = [media_path("videos/mmpose_demo.mp4"), media_path("videos/openpose_video.avi")]
    assert drop(window, qtbot, videos) == 2
    qtbot.waitUntil(lambda: window.model.rowCount() == 2)
    names = [window.model.task_at(r).filename for r in range(2)]
    assert names == ["mmpose_demo.mp4", "openpose_video.avi"]
    assert all(t.status == TaskStatus.PENDING for t in window.repo.list())
    assert window.repo.list()[0].params["backend"] == "fake"
    assert window.stack.currentWidget() is window.table
    assert "2 queued" in window.counts_label.text()


def test_text_file_is_refused_with_a_message(make_window, qtbot, answered, tmp_path):
    window = make_window(paused=True)
    notes = tmp_path / "notes.txt"
    notes.write_text("not a video\n")
    disguised = tmp_path / "disguised.mp4"
    disguised.write_text("plain text with a video name\n")
    added = drop(window, qtbot, [notes, disguised, media_path("videos/mmpose_demo.mp4")])
    assert added == 1
    assert len(answered.errors) == 1
    title, text, details = answered.errors[0]
    assert "notes.txt" in text and "disguised.mp4" in text
    assert "notes.txt: .txt files are not videos" in details
    assert "disguised.mp4: disguised.mp4 is not a video that can be read" in details
    assert window.repo.count() == 1


def test_an_image_renamed_as_a_video_is_refused(make_window, qtbot, answered, tmp_path):
    window = make_window(paused=True)
    disguised = tmp_path / "astronaut.mp4"
    shutil.copy(media_path("images/skimage_astronaut.png"), disguised)
    assert drop(window, qtbot, [disguised]) == 0
    _, text, details = answered.errors[0]
    assert "astronaut.mp4" in text
    # The reason the API gives too (tests/server/test_security.py).
    assert details == "astronaut.mp4: astronaut.mp4 is a still image (png), not a video"
    assert window.repo.count() == 0


def test_folders_image_sequence_and_videos(make_window, qtbot, tmp_path):
    window = make_window(paused=True)
    images = media_path("images/openpose_COCO_val2014")
    clips = tmp_path / "clips"
    clips.mkdir()
    for name in ("mmpose_demo.mp4", "mmaction2_demo_skeleton.mp4"):
        (clips / name).symlink_to(media_path(f"videos/{name}"))
    assert drop(window, qtbot, [images, clips]) == 3
    inputs = sorted(Path(t.input_path).name for t in window.repo.list())
    assert inputs == ["mmaction2_demo_skeleton.mp4", "mmpose_demo.mp4",
                      "openpose_COCO_val2014"]


def test_same_file_twice_asks_first(make_window, qtbot, answered):
    window = make_window(paused=True)
    video = media_path("videos/mmpose_demo.mp4")
    assert drop(window, qtbot, [video]) == 1
    answered.answer = False
    assert drop(window, qtbot, [video]) == 0
    assert answered.asked and "already in the task list" in answered.asked[-1][1]
    answered.answer = True
    assert drop(window, qtbot, [video]) == 1
    assert window.repo.count() == 2


def test_a_failed_check_of_dropped_paths_is_said_not_raised(make_window, qtbot, answered,
                                                             monkeypatch):
    """superqt re-raises a worker's error in the event loop unless ``errored`` is given to
    ``create_worker`` itself; pytest-qt fails the test on such an exception."""
    import ambientpose_desktop.gui.main_window as main_window

    def broken(paths):
        raise OSError("the disk went away")

    monkeypatch.setattr(main_window, "classify", broken)
    window = make_window(paused=True)
    with qtbot.waitSignal(window.intakeFinished, timeout=WAIT_MS) as added:
        window.add_paths([media_path("videos/mmpose_demo.mp4")])
    assert added.args[0] == 0
    assert "the disk went away" in answered.errors[0][1]
