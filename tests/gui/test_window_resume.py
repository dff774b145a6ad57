"""The window's Retry resumes a task whose worker was killed part-way (real QProcess runner,
real SIGKILL, fake backend on a real clip): it carries on from the checkpoint, the log says
so, and the result is the one of a run that was never stopped."""

from __future__ import annotations

import os
import signal

from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.core.tasks import TaskStatus
from tests.conftest import media_path
from tests.pipeline.resume_helpers import assert_same_results

WAIT_MS = 120_000
PARAMS = dict(backend="fake", checkpoint_every=20, backend_options={"delay_s": 0.02})


def _add(window):
    task = window.repo.create(media_path("videos/openpose_video.avi"), TaskParams(**PARAMS))
    window.runner.wake()
    return task


def test_retry_after_sigkill_resumes_from_the_checkpoint(make_window, qtbot):
    window = make_window()
    with qtbot.waitSignal(window.runner.taskFinished, timeout=WAIT_MS):
        reference = _add(window)
    assert window.repo.get(reference.id).status == TaskStatus.SUCCESS

    task = _add(window)
    qtbot.waitUntil(lambda: window.repo.get(task.id).progress_done >= 100, timeout=WAIT_MS)
    folder = TaskFolder(window.artefacts.task_dir(task.id))
    assert folder.has_checkpoint()
    with qtbot.waitSignal(window.runner.failed, timeout=WAIT_MS):
        os.kill(window.repo.get(task.id).worker_pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: window.model.task_at(window.model.row_of(task.id)).status
                    == TaskStatus.FAILED)

    logged: list[str] = []
    window.runner.log.connect(lambda task_id, level, message: logged.append(message))
    window.select_task(task.id)
    assert window.retry_action.isEnabled()
    with qtbot.waitSignal(window.runner.taskFinished, timeout=WAIT_MS) as finished:
        window.retry_action.trigger()
    assert finished.args == [task.id, "SUCCESS"]
    resumed = [m for m in logged if m.startswith("resumed at frame ")]
    assert len(resumed) == 1 and int(resumed[0].split()[3]) >= 60, logged
    assert_same_results(folder.path, window.artefacts.task_dir(reference.id))
    assert not folder.checkpoint.exists()
