"""The window's Repair…: the repair as a process of its own (``runner.repairs``), waited for on
a worker thread, its progress in a dialog that can cancel it; then the repaired copy offered as
a new task.

The repair reads and writes whole videos (minutes for long ones), so it never runs on the GUI
thread; its progress callback is called on the worker's thread and reaches the dialog as a
queued signal.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from ambientpose_desktop.core.errors import AmbientPoseError
from ambientpose_desktop.runner.repairs import repair_isolated

STEPS = {"checking": "Checking the video…", "remuxing": "Copying the packets…",
         "re-encoding": "Re-encoding with a short GOP…", "decoding": "Finding damaged frames…",
         "copying good frames": "Copying the frames that decode…"}


def suggested_output(source: Path) -> Path:
    """``clip.repaired.mp4`` beside ``clip.avi`` (numbered when that exists)."""
    candidate = source.with_name(f"{source.stem}.repaired.mp4")
    n = 2
    while candidate.exists():
        candidate = source.with_name(f"{source.stem}.repaired-{n}.mp4")
        n += 1
    return candidate


class RepairJob(QObject):
    """One repair: ``start()``, then ``finished(result)`` or ``failed(message)``. ``run``
    (called with ``progress`` and ``should_stop``) replaces the repair asked for by the
    user (``auto`` mode into ``output``): the viewer's fast-seeking copy."""

    progressed = Signal(str, int, int)  # step, done, total
    finished = Signal(object)  # RepairResult
    failed = Signal(str)

    def __init__(self, source: Path, output: Path, overwrite: bool,
                 parent: QWidget | None = None, run: Callable | None = None,
                 title: str = "Repair video") -> None:
        super().__init__(parent)
        self.source, self.output = source, output
        self._run = run or partial(repair_isolated, source, output, "auto", overwrite=overwrite)
        self._stop = False
        self._worker = None
        self.dialog = QProgressDialog(f"{title}: {source.name}…", "Cancel", 0, 100, parent)
        self.dialog.setWindowTitle(title)
        self.dialog.setWindowModality(Qt.WindowModality.NonModal)
        self.dialog.setMinimumDuration(0)
        self.dialog.canceled.connect(self.cancel)
        self.progressed.connect(self._show_progress)

    def start(self) -> None:
        from superqt.utils import create_worker

        # errored connected through _connect: else superqt re-raises it in the event loop
        worker = create_worker(self._run, progress=self.progressed.emit,
                               should_stop=lambda: self._stop,
                               _connect={"returned": self._returned, "errored": self._errored},
                               _start_thread=False)
        self._worker = worker  # kept alive until it reports
        self.dialog.show()
        worker.start()

    def cancel(self) -> None:
        self._stop = True

    def _show_progress(self, step: str, done: int, total: int) -> None:
        self.dialog.setLabelText(f"{self.source.name}: {STEPS.get(step, step)}")
        self.dialog.setMaximum(max(total, 1))
        self.dialog.setValue(min(done, max(total, 1)))

    def _returned(self, result) -> None:
        self._close_dialog()
        self.finished.emit(result)

    def _errored(self, exc: Exception) -> None:
        self._close_dialog()
        message = str(exc) if isinstance(exc, AmbientPoseError) else f"unexpected error: {exc}"
        self.failed.emit(message)

    def _close_dialog(self) -> None:
        self.dialog.canceled.disconnect(self.cancel)  # closing emits canceled too
        self.dialog.close()
