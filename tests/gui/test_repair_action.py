"""The window's Repair video…: a real repair of a damaged copy of shared media, off the GUI
thread, then the copy offered (and added) as a new task."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer

from ambientpose_desktop.gui import dialogs
from ambientpose_desktop.runner.actions import add_task

WAIT_MS = 90_000


def window_with_task(make_window, qtbot, video: Path):
    window = make_window(paused=True)
    task = add_task(window.repo, window.runner, video, window.settings.task_params())
    qtbot.waitUntil(lambda: window.model.rowCount() == 1)
    window.select_task(task.id)
    return window, task


def test_repair_offers_the_copy_as_a_new_task(make_window, qtbot, answered, repair_clips,
                                              tmp_path, monkeypatch):
    window, task = window_with_task(make_window, qtbot, repair_clips["damaged"])
    assert window.repair_action.isEnabled()
    assert window.repair_action in window.task_context_menu().actions()
    assert window.repair_action in window.task_menu.actions()
    out = tmp_path / "fixed.mp4"
    suggested = []
    monkeypatch.setattr(dialogs, "choose_video_output",
                        lambda parent, title, path: suggested.append(path) or out)
    ticks = []  # the event loop keeps running while the repair works
    timer = QTimer(window)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(20)
    with qtbot.waitSignal(window.repairFinished, timeout=WAIT_MS) as finished:
        window.repair_action.trigger()
    timer.stop()
    result = finished.args[0]
    assert suggested == [repair_clips["damaged"].with_name("damaged.repaired.mp4")]
    assert result.mode == "salvage" and result.lost and Path(result.output) == out
    assert len(ticks) > 5 and window._repair_job.dialog.isHidden()
    title, text = answered.asked[-1]
    assert "Add the repaired copy as a new task?" in text and result.lost_text() in text
    added = [t for t in window.repo.list() if t.id != task.id]
    assert len(added) == 1 and Path(added[0].input_path) == out
    assert added[0].params == task.params
    qtbot.waitUntil(lambda: [t.id for t in window.selected_tasks()] == [added[0].id])


def test_declined_copy_and_unrepairable_video(make_window, qtbot, answered, media_variants,
                                               repair_clips, tmp_path, monkeypatch):
    window, task = window_with_task(make_window, qtbot, repair_clips["long_gop"])
    answered.answer = False
    monkeypatch.setattr(dialogs, "choose_video_output", lambda *a: tmp_path / "fast.mp4")
    with qtbot.waitSignal(window.repairFinished, timeout=WAIT_MS) as finished:
        window.repair_selected()
    assert finished.args[0].mode == "reencode" and (tmp_path / "fast.mp4").exists()
    assert window.repo.count() == 1  # written, not added

    text = tmp_path / "notes.mp4"  # a task whose file turned out not to be a video
    text.write_bytes(media_variants["text"].read_bytes())
    other = add_task(window.repo, window.runner, text, window.settings.task_params())
    qtbot.waitUntil(lambda: window.model.rowCount() == 2)
    window.select_task(other.id)
    monkeypatch.setattr(dialogs, "choose_video_output", lambda *a: tmp_path / "never.mp4")
    with qtbot.waitSignal(window.repairFinished, timeout=WAIT_MS) as failed:
        window.repair_action.trigger()
    assert failed.args[0] is None
    title, message, _ = answered.errors[-1]
    assert message.startswith("notes.mp4 was not repaired: ") and "not a video" in message
    assert not (tmp_path / "never.mp4").exists() and window.repo.count() == 2
