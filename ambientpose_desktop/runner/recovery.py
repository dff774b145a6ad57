"""Crash recovery at start: what a runner that died left behind.

Its tasks are still RUNNING in the database. A worker whose runner died may still be running
(the runner was killed, its children were not): nobody records that worker's result, so it is
stopped first. Then every such task becomes FAILED ("interrupted") and can be retried.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.runner.protocol import signal_foreign_worker
from ambientpose_desktop.store.artefacts import process_alive
from ambientpose_desktop.store.models import Task
from ambientpose_desktop.store.repository import TaskRepository, runner_pid_alive

ORPHAN_STOP_WAIT_S = 5.0


def _orphaned(task: Task, is_alive: Callable[[int], bool]) -> bool:
    host = (task.runner_id or "").rpartition(":")[0]
    return (host == socket.gethostname() and bool(task.worker_pid)
            and is_alive(task.worker_pid) and not runner_pid_alive(task.runner_id, is_alive))


def recover_on_start(repo: TaskRepository, is_alive: Callable[[int], bool] = process_alive,
                     wait_s: float = ORPHAN_STOP_WAIT_S) -> list[Task]:
    """Stop orphaned workers of dead runners on this machine, then mark their tasks and every
    other task left RUNNING by a dead runner FAILED ("interrupted"); returns those tasks."""
    orphans = [t for t in repo.list(status=TaskStatus.RUNNING) if _orphaned(t, is_alive)]
    stopped = [t.worker_pid for t in orphans if signal_foreign_worker(t)]
    deadline = time.monotonic() + wait_s
    while any(is_alive(pid) for pid in stopped if pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return repo.recover_interrupted(is_alive)
