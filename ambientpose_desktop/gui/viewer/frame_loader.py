"""Frames for the viewer, decoded on a thread of their own: request → decode → ``frameReady``.

The GUI thread only asks (``request``); the newest request wins, so dragging the slider or
playing faster than decoding drops stale frames instead of queueing them. When the exact frame
needs a long decode (a seek far into a long GOP), the same frame from the task's scrub proxy
is shown first (``exact=False``), then the full-resolution one. While idle, the thread decodes
ahead of the last frame shown and converts the next few to QImages, so stepping and playback
find frames ready to paint.
``synchronous=True`` decodes in the caller's thread instead (tests, screenshots).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from ambientpose_desktop.core.task_folder import FRAME_INDEX
from ambientpose_desktop.pipeline.frame_reader import FrameReader
from ambientpose_desktop.pipeline.scrub_proxy import ScrubProxy

PREFETCH_FRAMES = 24  # decoded (YUV) ahead of the frame shown
READY_FRAMES = 6  # of those, converted to QImage ahead
PROXY_ABOVE_FRAMES = 4  # show the proxy first when the exact frame needs more decoding


def to_qimage(pixels: np.ndarray) -> QImage:
    """A QImage owning a copy of ``pixels``: (H, W, 3) RGB, or (H, W, 4) BGRA from
    ``FrameReader.frame(i, "bgra")``, which Qt scales and paints over twice as fast."""
    height, width, channels = pixels.shape
    pixels = np.ascontiguousarray(pixels)
    fmt = QImage.Format.Format_RGB32 if channels == 4 else QImage.Format.Format_RGB888
    return QImage(pixels.data, width, height, channels * width, fmt).copy()


class FrameLoader(QObject):
    """Owns a ``FrameReader``; emits ``frameReady(index, image, exact)`` for the latest request."""

    frameReady = Signal(int, QImage, bool)
    failed = Signal(str)

    def __init__(self, video: Path, task_folder: Path | None = None,
                 synchronous: bool = False, parent=None) -> None:
        super().__init__(parent)
        # the task folder holds the worker's frame index and scrub proxy, when it wrote them
        index_file = Path(task_folder) / FRAME_INDEX if task_folder else None
        self.reader = FrameReader(video, index_file=index_file)
        self.proxy = ScrubProxy.open(task_folder, len(self.reader)) if task_folder else None
        self._synchronous = synchronous
        self._wake = threading.Condition()
        self._wanted: int | None = None
        self._shown = -1
        self._ready: dict[int, QImage] = {}  # converted ahead; only the loader thread touches it
        self._closed = False
        self._thread: threading.Thread | None = None
        if not synchronous:
            self._thread = threading.Thread(target=self._loop, name="frames", daemon=True)
            self._thread.start()

    def __len__(self) -> int:
        return len(self.reader)

    def request(self, index: int) -> None:
        if self._synchronous:
            self._deliver(index)
            return
        with self._wake:
            self._wanted = index
            self._wake.notify()

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.reader.close()
        if self.proxy is not None:
            self.proxy.close()

    def preview(self, index: int) -> QImage | None:
        """The proxy's image of ``index`` if the exact one is slow to get, else None."""
        if (self.proxy is None or index >= len(self.proxy)
                or self.reader.cost(index) <= PROXY_ABOVE_FRAMES):
            return None
        try:
            return to_qimage(self.proxy.frame(index))
        except (IndexError, OSError):  # a damaged proxy only costs the preview
            return None

    def _deliver(self, index: int) -> None:
        image = self._ready.pop(index, None)
        if image is None:
            preview = None if self._synchronous else self.preview(index)
            if preview is not None:
                self.frameReady.emit(index, preview, False)
            try:
                image = to_qimage(self.reader.frame(index, "bgra"))
            except Exception as exc:  # a damaged frame: say so, keep the viewer alive
                self.failed.emit(f"frame {index} could not be decoded: {exc}")
                return
        self._shown = index
        self._ready = {i: im for i, im in self._ready.items()
                       if index < i <= index + READY_FRAMES}
        self.frameReady.emit(index, image, True)

    def _next_to_convert(self) -> int | None:
        """The first frame after the one shown that is decoded but not yet a QImage."""
        for i in range(self._shown + 1, min(self._shown + 1 + READY_FRAMES, len(self.reader))):
            if i not in self._ready:
                return i if self.reader.cost(i) == 0 else None
        return None

    def _loop(self) -> None:
        while True:
            with self._wake:
                while (self._wanted is None and not self._closed
                       and not self._prefetch_due()):
                    self._wake.wait()
                if self._closed:
                    return
                index, self._wanted = self._wanted, None
            if index is not None:
                self._deliver(index)
                continue
            try:
                if (ahead := self._next_to_convert()) is not None:
                    self._ready[ahead] = to_qimage(self.reader.frame(ahead, "bgra"))
                else:
                    self.reader.prefetch(self._shown, self._shown + PREFETCH_FRAMES)
            except Exception:  # reading ahead is optional: stop it until the next request
                self._shown = -1

    def _prefetch_due(self) -> bool:
        if self._shown < 0:
            return False
        return (self._next_to_convert() is not None
                or self.reader.can_prefetch(self._shown, self._shown + PREFETCH_FRAMES))
