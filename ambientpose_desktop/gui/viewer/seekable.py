"""The viewer's offer of a fast-seeking copy, apart from the widgets.

When the loader finds exact seeks slower than ``frame_loader.SLOW_SEEK_S`` it says so once
(``notice``); the offer then shows (``offered``). ``make`` — the status-bar button, the
File menu item and its shortcut all call it — re-encodes the video with a short GOP into the
task folder (``runner.repairs.make_seekable_copy``: a process of its own, its progress in a
dialog that can cancel it), and the loader then reads from the copy once it has checked it
has the same frames. The results and the video itself are not touched.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.gui.repair import RepairJob
from ambientpose_desktop.gui.viewer.frame_loader import FrameLoader, slow_seek_reason
from ambientpose_desktop.runner.repairs import make_seekable_copy

OFFER_TEXT = "Make a fast-seeking copy"
STOP_WAIT_MS = 10_000  # the most a closing viewer waits for the copy's process to end


class SeekableOffer(QObject):
    offered = Signal()  # exact seeks are slow: show the offer
    used = Signal()  # frames come from the copy now: the offer is done
    said = Signal(str)  # one line for the status bar

    def __init__(self, loader: FrameLoader, folder: Path, parent: QWidget) -> None:
        super().__init__(parent)
        self.loader, self.folder = loader, Path(folder)
        self.job: RepairJob | None = None
        self._closing = False
        loader.notice.connect(self._slow)
        loader.switched.connect(self._switched)

    def _slow(self, _notice: str) -> None:
        seeks = self.loader.seeks
        reason = slow_seek_reason(self.loader.source, seeks.longest_gop, seeks.slowest() or 0)
        self.said.emit(f"{reason} {OFFER_TEXT} (File menu) for fast seeking.")
        self.offered.emit()

    def make(self) -> RepairJob | None:
        """Start making the copy (or return the job already under way); None when there
        is nothing to do."""
        if self.job is not None:
            return self.job
        if self.loader.reading_copy:
            self.said.emit("Frames already come from the fast-seeking copy")
            return None
        video = self.loader.source
        self.job = RepairJob(video, TaskFolder(self.folder).seekable_copy, True,
                             self.parent(), run=partial(make_seekable_copy, video, self.folder),
                             title=OFFER_TEXT)
        self.job.finished.connect(self._made)
        self.job.failed.connect(self._failed)
        self.job.start()
        return self.job

    def stop(self) -> None:
        """Cancel a copy under way and wait (a few tenths of a second) for its process to
        end and remove the partial file: the viewer is closing."""
        job, self._closing = self.job, True
        if job is None:
            return
        loop = QEventLoop()
        job.finished.connect(loop.quit)
        job.failed.connect(loop.quit)
        job.cancel()
        QTimer.singleShot(STOP_WAIT_MS, loop.quit)
        if self.job is not None:
            loop.exec()

    def _keys_back(self) -> None:
        """The progress dialog is gone: the viewer takes the keyboard again (with no window
        manager, nobody else gives it back)."""
        window = self.parent()
        window.raise_()
        window.activateWindow()

    def _made(self, _result) -> None:
        self.job = None
        if self._closing:
            return
        self._keys_back()
        self.said.emit("Fast-seeking copy made: checking its frames…")
        self.loader.use_copy()

    def _failed(self, message: str) -> None:
        self.job = None
        if not self._closing:
            self._keys_back()
        self.said.emit(f"No fast-seeking copy: {message}")

    def _switched(self, ok: bool, text: str) -> None:
        self.said.emit(text)
        if ok:
            self.used.emit()
