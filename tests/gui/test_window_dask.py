"""Tasks from the window on a real Dask LocalCluster (Settings → Run tasks on → Dask): they
reach Done with their progress and log as local ones do, Cancel stops the worker's process,
and the Settings dialog's "Test connection" lists the workers."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox

from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.gui.settings_dialog import SettingsDialog
from ambientpose_desktop.gui.task_model import PROGRESS, PROGRESS_ROLE, STATUS
from ambientpose_desktop.store.settings import AppSettings
from tests.conftest import media_path
from tests.dask_helpers import free_port, worker_processes

WAIT_MS = 60_000


def _add(window, **params):
    task = window.repo.create(media_path("videos/mmaction2_demo_skeleton.mp4"),
                              TaskParams(backend="fake", **params))
    window.runner.wake()
    return task


def test_a_task_from_the_window_runs_on_the_cluster(make_window, qtbot, dask_cluster):
    window = make_window(executor="dask", dask_address=dask_cluster)
    logs = []
    window.runner.log.connect(lambda task_id, level, message: logs.append(message))
    with qtbot.waitSignal(window.runner.taskFinished, timeout=WAIT_MS) as finished:
        task = _add(window)
    assert finished.args == [task.id, "SUCCESS"]
    row = window.model.row_of(task.id)
    qtbot.waitUntil(lambda: window.model.task_at(row).status == TaskStatus.SUCCESS)
    assert window.model.index(row, STATUS).data() == "Done"
    assert window.model.index(row, PROGRESS).data(PROGRESS_ROLE)[:2] == (1.0, "72 / 72")
    assert any(m.startswith("running on Dask worker tcp://127.0.0.1:") for m in logs)
    assert "started: 72 frames" in " ".join(logs)
    assert window.statusBar().currentMessage().startswith("Running tasks on the Dask scheduler")


def test_cancel_in_the_window_stops_the_process_on_the_cluster(make_window, qtbot,
                                                                dask_cluster):
    window = make_window(executor="dask", dask_address=dask_cluster)
    with qtbot.waitSignal(window.runner.progress, timeout=WAIT_MS):
        task = _add(window, backend_options={"delay_s": 0.3})
    assert worker_processes(task.id)
    qtbot.waitUntil(lambda: window.model.row_of(task.id) is not None)
    window.select_task(task.id)
    with qtbot.waitSignal(window.runner.taskFinished, timeout=WAIT_MS) as finished:
        window.cancel_action.trigger()
    assert finished.args == [task.id, "CANCELED"]
    qtbot.waitUntil(lambda: not worker_processes(task.id), timeout=10_000)


def test_an_unreachable_scheduler_leaves_tasks_queued_and_says_so(make_window, qtbot):
    window = make_window(executor="dask", dask_address=f"tcp://127.0.0.1:{free_port()}")
    with qtbot.waitSignal(window.runner.executorStatus, timeout=WAIT_MS) as status:
        task = _add(window)
    message, ok = status.args
    assert not ok and message.startswith("cannot reach the Dask scheduler at tcp://127.0.0.1:")
    assert "tasks stay queued" in window.statusBar().currentMessage()
    assert window.repo.get(task.id).status == TaskStatus.PENDING


def test_settings_choose_the_cluster_and_test_the_connection(qtbot, dask_cluster):
    dialog = SettingsDialog(AppSettings(task=TaskParams(backend="fake")))
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.machineInspected, timeout=WAIT_MS):
        pass  # its own check of the backends, off the GUI thread, must not outlive it
    fields = dialog.executor_fields
    assert fields.values() == ("local", "") and not fields.test_button.isEnabled()
    fields.executor.setCurrentIndex(fields.executor.findData("dask"))
    dialog.button_box.button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.result() != SettingsDialog.DialogCode.Accepted  # no address yet
    assert "scheduler's address" in dialog.problem.text()
    fields.address.setText(dask_cluster)
    with qtbot.waitSignal(fields.tested, timeout=WAIT_MS):
        fields.test_button.click()
    report = fields.report.toPlainText()
    assert report.startswith("✔ 2 workers:") and "1 thread" in report and "GiB, no GPU" in report
    assert fields.chunk_frames.isEnabled() and fields.chunk_frames.value() == \
        AppSettings().chunk_frames
    fields.chunk_frames.setValue(3000)
    settings = dialog.result_settings()
    assert (settings.executor, settings.dask_address) == ("dask", dask_cluster)
    assert settings.chunk_frames == 3000
    fields.address.setText(f"127.0.0.1:{free_port()}")
    with qtbot.waitSignal(fields.tested, timeout=WAIT_MS):
        fields.test_button.click()
    assert fields.report.toPlainText().startswith("✖ Timed out trying to connect")
    fields.executor.setCurrentIndex(fields.executor.findData("slurm"))
    assert not fields.address.isEnabled() and not fields.report.isVisible()
    with qtbot.waitSignal(fields.tested, timeout=WAIT_MS):
        fields.test_button.click()
    assert "not there yet: the defaults apply" in fields.report.toPlainText()
    assert "#SBATCH -J ambientpose" in fields.report.toPlainText()
