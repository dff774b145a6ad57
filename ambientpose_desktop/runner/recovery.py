"""Crash recovery at start: what a runner that died left behind.

Its tasks are still RUNNING in the database. A worker whose runner died may still be running
(the runner was killed, its children were not): nobody records that worker's result, so it is
stopped first. A worker that finished on its own before that left a complete run in its task
folder: that task is SUCCESS (the folder is the source of truth for artefacts). A task whose
worker saved a checkpoint goes back in the queue, where it resumes from it (its worker runs
with ``--resume``). Every other such task becomes FAILED ("interrupted") and can be retried.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable

from loguru import logger

from ambientpose_desktop.core.run_outcome import finished_metrics, finished_run
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.core.tasks import InvalidTransition, TaskStatus
from ambientpose_desktop.runner.protocol import signal_foreign_worker
from ambientpose_desktop.store.artefacts import ArtefactStore, process_alive
from ambientpose_desktop.store.models import Task
from ambientpose_desktop.store.repository import TaskNotFound, TaskRepository, runner_pid_alive

ORPHAN_STOP_WAIT_S = 5.0


def _orphaned(task: Task, is_alive: Callable[[int], bool]) -> bool:
    host = (task.runner_id or "").rpartition(":")[0]
    return (host == socket.gethostname() and bool(task.worker_pid)
            and is_alive(task.worker_pid) and not runner_pid_alive(task.runner_id, is_alive))


INTERRUPTED = ("interrupted: the app or worker stopped while this task ran; "
               "choose Retry to run it again")


def recover_on_start(repo: TaskRepository, artefacts: ArtefactStore,
                     is_alive: Callable[[int], bool] = process_alive,
                     wait_s: float = ORPHAN_STOP_WAIT_S) -> list[Task]:
    """Stop orphaned workers of dead runners on this machine, then settle every task a dead
    runner left RUNNING: SUCCESS when its folder holds a finished run, PENDING (to resume)
    when it holds a checkpoint, else FAILED ("interrupted"); returns those tasks."""
    orphans = [t for t in repo.list(status=TaskStatus.RUNNING) if _orphaned(t, is_alive)]
    stopped = [t.worker_pid for t in orphans if signal_foreign_worker(t)]
    deadline = time.monotonic() + wait_s
    while any(is_alive(pid) for pid in stopped if pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    recovered = []
    for task in repo.left_running(is_alive):
        folder = artefacts.results_dir(task)
        finished = finished_run(folder)
        with contextlib.suppress(TaskNotFound, InvalidTransition):  # settled by someone else
            if finished is not None:
                repo.set_progress(task.id, finished.frames, finished.frames)
                recovered.append(repo.set_status(task.id, TaskStatus.SUCCESS,
                                                 metrics=finished_metrics(folder, finished)))
            elif TaskFolder(folder).has_checkpoint():
                recovered.append(repo.retry(task.id))
                logger.info("task {} was interrupted; it resumes from its checkpoint", task.id)
            else:
                recovered.append(repo.set_status(task.id, TaskStatus.FAILED,
                                                 error=INTERRUPTED))
    return recovered
