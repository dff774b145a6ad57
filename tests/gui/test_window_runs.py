"""Tasks run from the window through the real QProcess runner (fake backend, real media)."""

from __future__ import annotations

import os
import signal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.gui.task_model import PROGRESS, PROGRESS_ROLE, STATUS
from ambientpose_desktop.store.settings import AppSettings
from tests.conftest import media_path

WAIT_MS = 60_000


def _add(window, video: str = "videos/mmpose_demo.mp4", **params):
    task = window.repo.create(media_path(video), TaskParams(backend="fake", **params))
    window.runner.wake()
    return task


def _slow(window, qtbot, video: str = "videos/openpose_video.avi"):
    """A task that runs long enough to act on, once its worker reports progress."""
    with qtbot.waitSignal(window.runner.progress, timeout=WAIT_MS):
        task = _add(window, video, backend_options={"delay_s": 0.3})
    qtbot.waitUntil(lambda: window.model.row_of(task.id) is not None)
    window.select_task(task.id)
    return task


def test_task_runs_to_success_and_the_row_follows(make_window, qtbot):
    window = make_window()
    with qtbot.waitSignal(window.runner.taskFinished, timeout=WAIT_MS):
        task = _add(window)
    row = window.model.row_of(task.id)
    qtbot.waitUntil(lambda: window.model.task_at(row).status == TaskStatus.SUCCESS)
    assert window.model.index(row, STATUS).data() == "Done"
    fraction, text, _ = window.model.index(row, PROGRESS).data(PROGRESS_ROLE)
    assert (fraction, text) == (1.0, "5 / 5")
    assert "1 done" in window.counts_label.text()
    window.select_task(task.id)
    assert window.open_action.isEnabled() and not window.cancel_action.isEnabled()
    assert "10 poses" in window.details.outcome.text()
    with qtbot.waitSignal(window.resultsRequested) as requested:
        index = window.proxy.mapFromSource(window.model.index(row, 0))
        window.table.doubleClicked.emit(index)
    assert requested.args == [task.id]
    viewer = next(w for w in window.findChildren(QWidget) if type(w).__name__ == "ViewerWindow")
    qtbot.waitUntil(viewer.isVisible)
    assert len(viewer.loader) == 5 and viewer.task.folder == window.artefacts.task_dir(task.id)
    viewer.close()


def test_worker_error_shows_with_its_traceback_one_click_away(make_window, qtbot, answered):
    window = make_window()
    with qtbot.waitSignal(window.runner.taskFinished, timeout=WAIT_MS):
        task = _add(window, backend_options={"crash_at": 1})
    qtbot.waitUntil(lambda: window.model.task_at(0).status == TaskStatus.FAILED)
    window.select_task(task.id)
    assert "fake backend crashed at frame 1" in window.details.error.text()
    assert window.details.error_details.isVisibleTo(window.details)
    window.details.error_details.click()
    title, text, details = answered.errors[-1]
    assert "crashed at frame 1" in text and "Traceback" in details
    with qtbot.waitSignal(window.runner.taskStarted, timeout=WAIT_MS) as started:
        window.retry_action.trigger()  # runs again (and fails again: same options)
    assert started.args == [task.id]


def test_cancel_from_the_window_gives_canceled(make_window, qtbot):
    window = make_window()
    task = _slow(window, qtbot)
    assert window.cancel_action.isEnabled()
    with qtbot.waitSignal(window.runner.taskFinished, timeout=WAIT_MS) as finished:
        window.cancel_action.trigger()
    assert finished.args == [task.id, "CANCELED"]
    qtbot.waitUntil(lambda: window.model.task_at(0).status == TaskStatus.CANCELED)
    assert window.retry_action.isEnabled()


def test_killed_worker_shows_failed_with_reason(make_window, qtbot):
    window = make_window()
    task = _slow(window, qtbot)
    pid = window.repo.get(task.id).worker_pid
    with qtbot.waitSignal(window.runner.failed, timeout=WAIT_MS):
        os.kill(pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: window.model.task_at(0).status == TaskStatus.FAILED)
    assert "crashed without reporting a result" in window.model.task_at(0).error
    assert "crashed" in window.details.error.text()
    assert "failed" in window.statusBar().currentMessage()
    window.copy_error_action.trigger()
    assert "crashed without reporting" in QGuiApplication.clipboard().text()


def test_quitting_asks_and_requeues_the_running_task(make_window, qtbot, answered):
    window = make_window()
    task = _slow(window, qtbot)
    answered.answer = False
    window.close()
    assert window.isVisible() and window.runner.running_ids() == [task.id]
    answered.answer = True
    window.close()
    assert not window.isVisible()
    row = window.repo.get(task.id)
    assert row.status == TaskStatus.PENDING and row.worker_pid is None  # nothing lost
    assert "1 task(s) are running" in answered.asked[-1][1]


def test_remove_asks_and_deletes_results(make_window, qtbot, answered):
    window = make_window()
    with qtbot.waitSignal(window.runner.taskFinished, timeout=WAIT_MS):
        task = _add(window)
    folder = window.artefacts.task_dir(task.id)
    assert (folder / "pose.json").exists()
    qtbot.waitUntil(lambda: window.model.task_at(0).status == TaskStatus.SUCCESS)
    window.select_task(task.id)
    window.remove_action.trigger()
    qtbot.waitUntil(lambda: window.model.rowCount() == 0)
    qtbot.waitUntil(lambda: not folder.exists())
    assert window.repo.count() == 0
    assert window.stack.currentWidget() is window.empty_hint


def test_queue_pause_is_remembered(make_window, qtbot):
    window = make_window()
    window.queue_action.trigger()
    assert window.runner.paused and "queue paused" in window.counts_label.text()
    assert AppSettings.load().queue_paused
    task = _add(window)
    qtbot.wait(300)
    assert window.repo.get(task.id).status == TaskStatus.PENDING
    with qtbot.waitSignal(window.runner.taskFinished, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_F5)
    assert not AppSettings.load().queue_paused


@pytest.mark.slow
def test_embedded_default_backend_runs_from_the_window(make_window, qtbot):
    window = make_window(task=TaskParams(backend="embedded", device="cpu"))
    with qtbot.waitSignal(window.runner.taskFinished, timeout=240_000) as finished:
        window.add_paths([media_path("videos/mmpose_demo.mp4")])
    assert finished.args[1] == "SUCCESS", window.repo.get(finished.args[0]).error
    task = window.repo.get(finished.args[0])
    assert task.params["backend"] == "embedded"
    assert (task.progress_done, task.progress_total) == (5, 5)
    assert task.metrics["persons"] > 5  # a crowded pedestrian mall


def test_context_menu_offers_the_task_actions(make_window, qtbot):
    window = make_window(paused=True)
    task = _add(window)
    qtbot.waitUntil(lambda: window.model.row_of(task.id) is not None)
    window.select_task(task.id)
    menu = window.task_context_menu()
    shown = {a.text().replace("&", ""): a.isEnabled() for a in menu.actions() if a.text()}
    assert shown == {"Open results": False, "Filter…": False, "Show in folder": False,
                     "Cancel": True,
                     "Retry": False, "Copy error": False, "Repair video…": True,
                     "Remove…": True}


def test_filter_from_the_task_context_menu(make_window, qtbot):
    """Filter… on a finished task opens its viewer with the Filter dialog (the preview needs
    the plots); Apply there writes the task's filtered layer."""
    window = make_window()
    with qtbot.waitSignal(window.runner.taskFinished, timeout=WAIT_MS):
        task = _add(window)
    row = window.model.row_of(task.id)
    qtbot.waitUntil(lambda: window.model.task_at(row).status == TaskStatus.SUCCESS)
    window.select_task(task.id)
    action = next(a for a in window.task_context_menu().actions() if a.text() == "&Filter…")
    assert action.isEnabled()
    action.trigger()
    viewer = next(w for w in window.findChildren(QWidget) if type(w).__name__ == "ViewerWindow")
    dialog = viewer.filter_dialog
    qtbot.waitUntil(lambda: dialog.isVisible() and viewer.filtered.preview is not None)
    dialog.apply_button.click()
    qtbot.waitUntil(lambda: dialog.job is None, timeout=WAIT_MS)
    assert (window.artefacts.task_dir(task.id) / "pose_filtered.npz").is_file()
    assert viewer.filtered.current
    viewer.close()


def test_file_open_results_opens_a_detect_folder_without_a_task(make_window, qtbot,
                                                                processed_task, monkeypatch):
    """File → Open results… in the main window: a results folder no task knows, in the
    viewer; the task list stays as it was."""
    from PySide6.QtWidgets import QFileDialog

    window = make_window(paused=True)
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *a, **k: (str(processed_task / "summary.json"), ""))
    file_menu = window.menuBar().actions()[0].menu()
    assert window.open_any_action in file_menu.actions()
    window.open_any_action.trigger()
    viewer = next(w for w in window.findChildren(QWidget) if type(w).__name__ == "ViewerWindow")
    qtbot.waitUntil(viewer.isVisible)
    assert viewer.task.folder == processed_task and window.repo.list() == []
    viewer.close()
