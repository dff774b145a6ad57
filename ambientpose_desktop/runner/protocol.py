"""What the server and the window need from whichever runner owns the queue in this process."""

from __future__ import annotations

import os
import signal
import socket
from typing import Protocol

from ambientpose_desktop.store.artefacts import process_alive
from ambientpose_desktop.store.models import Task


class TaskRunner(Protocol):
    def wake(self) -> None:
        """New PENDING tasks may exist: claim and start what free slots allow."""

    def cancel(self, task_id: str) -> bool:
        """Stop the task if this runner runs it; ``False`` if it does not."""

    def check_input(self, task_id: str, input_path: str) -> None:
        """A task was added: check its input in the background (``runner/media_checks.py``)
        and fail the task if nothing in it can be processed.

        All three methods may be called from any thread (the embedded server calls them from
        its own); implementations hand the work to their own thread or loop."""


class RemoteServer(Protocol):
    """The embedded HTTP server as the window sees it. Implemented in ``server/`` and handed to
    the window by the composition root (``cli``), so ``gui/`` never imports ``server/``."""

    @property
    def url(self) -> str | None:
        """Base URL while running, ``None`` when stopped."""

    @property
    def token(self) -> str:
        """The bearer token remote clients must send."""

    def start(self, host: str = "127.0.0.1", port: int = 8765) -> str:
        """Start serving in a background thread; returns the URL. Raises ``OSError`` with a
        readable message when the port is taken."""

    def stop(self) -> None:
        """Stop serving; waits for the server thread to end."""

    def regenerate_token(self) -> str:
        """Replace the token (old clients get 401) and return the new one."""


def signal_foreign_worker(task: Task) -> bool:
    """SIGTERM a worker started by another runner on this machine (e.g. ``ambientpose serve``
    while the window runs the task). Its own runner then records the task as CANCELED."""
    host, _, _ = (task.runner_id or "").rpartition(":")
    if not task.worker_pid or host != socket.gethostname() or not process_alive(task.worker_pid):
        return False
    try:
        os.kill(task.worker_pid, signal.SIGTERM)
    except OSError:
        return False
    return True
