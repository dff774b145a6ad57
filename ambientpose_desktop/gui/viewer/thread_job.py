"""A function of the viewer's dialogs (export, filter) run on a thread, its outcome brought
back to the GUI thread by signals.

The GUI thread must hold the job's last reference: a thread that drops it frees the QObject
on the wrong thread while the GUI thread may be delivering its queued signals, which crashed
or deadlocked the viewer now and then (a test hung in C code, out of reach of its timeout).
So the dialog ``release``\\ s a finished job, which waits for its thread to end, before it lets
the job go.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from ambientpose_desktop.core.errors import AmbientPoseError


class ThreadJob(QObject):
    """``start()``; then exactly one of ``done`` (with ``work``'s message) or ``failed`` (one
    line) fires, unless ``work`` returned None after signalling its own ending."""

    progressed = Signal(int, int)
    done = Signal(str)
    failed = Signal(str)
    failure = "failed"  # the words before an unexpected error's message

    def __init__(self, name: str) -> None:
        super().__init__()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def release(self) -> None:
        """Wait for the thread to end (it sent its last signal): called on the GUI thread
        before the job is let go."""
        if self._thread.ident is not None:
            self._thread.join()

    def work(self) -> str | None:
        raise NotImplementedError

    def _run(self) -> None:
        try:
            message = self.work()
        except AmbientPoseError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # one line in the dialog, never a traceback
            self.failed.emit(f"{self.failure}: {exc}")
        else:
            if message is not None:
                self.done.emit(message)
