"""Frames for the viewer, decoded on a thread of their own: request → decode → ``frameReady``.

The GUI thread only asks (``request``); the newest request wins, even over a decode under
way (it is interrupted between two frames, the decoder keeping its place), so dragging the
slider or playing faster than decoding drops stale frames instead of queueing them. When the
exact frame needs a long decode (a seek far into a long GOP), the same frame from the task's
scrub proxy is shown first (``exact=False``), then the full-resolution one. While idle, the
thread decodes ahead of the last frame shown and behind it (so stepping either way finds
frames decoded), and converts the next few in the direction of travel to QImages. Memory:
the reader's decoded-frame cache (512 MiB) and ``READY_FRAMES`` QImages (~8 MiB each at
1080p).

Where exact seeks stay slow (a keyframe every few hundred frames at high resolution on a
slow machine), ``notice`` says so once, with the command that makes a fast-seeking copy.
``synchronous=True`` decodes in the caller's thread instead (tests, screenshots).
"""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from ambientpose_desktop.core.task_folder import FRAME_INDEX
from ambientpose_desktop.pipeline.frame_reader import DecodeInterrupted, FrameReader
from ambientpose_desktop.pipeline.scrub_proxy import ScrubProxy

PREFETCH_FRAMES = 24  # decoded (YUV) ahead of the frame shown
BEHIND_FRAMES = 24  # and behind it, for stepping back
READY_FRAMES = 6  # of those, converted to QImage ahead in the direction of travel
PROXY_ABOVE_FRAMES = 4  # show the proxy first when the exact frame needs more decoding
SLOW_SEEK_S = 0.25  # exact seeks estimated slower than this in the longest GOP: say so once
_SEEKS_TO_JUDGE = 2  # far seeks timed before judging


def to_qimage(pixels: np.ndarray) -> QImage:
    """A QImage owning a copy of ``pixels``: (H, W, 3) RGB, or (H, W, 4) BGRA from
    ``FrameReader.frame(i, "bgra")``, which Qt scales and paints over twice as fast."""
    height, width, channels = pixels.shape
    pixels = np.ascontiguousarray(pixels)
    fmt = QImage.Format.Format_RGB32 if channels == 4 else QImage.Format.Format_RGB888
    return QImage(pixels.data, width, height, channels * width, fmt).copy()


def slow_seek_notice(video: Path, gop: int, seconds: float) -> str:
    """What the viewer says once when exact frames of ``video`` are slow to seek to."""
    video = Path(video)
    return (f"Exact frames can take {seconds:.1f} s to appear: {video.name} has a keyframe "
            f"only every {gop} frames. For fast seeking, make a copy with "
            f"`ambientpose repair {video.name} -o {video.stem}_seekable.mp4`.")


class SeekTimer:
    """Times the far seeks (decodes of many frames) to estimate the slowest one this video
    can need: the seconds per frame decoded times its longest keyframe interval."""

    def __init__(self, longest_gop: int) -> None:
        self.longest_gop = longest_gop
        self._per_frame: list[float] = []

    def add(self, frames: int, seconds: float) -> None:
        if frames > PROXY_ABOVE_FRAMES:
            self._per_frame.append(seconds / frames)

    def slowest(self) -> float | None:
        """Estimated seconds of the slowest exact seek, once enough seeks were timed."""
        if len(self._per_frame) < _SEEKS_TO_JUDGE:
            return None
        return statistics.median(self._per_frame) * self.longest_gop


class FrameLoader(QObject):
    """Owns a ``FrameReader``; emits ``frameReady(index, image, exact)`` for the latest request."""

    frameReady = Signal(int, QImage, bool)
    failed = Signal(str)
    notice = Signal(str)

    def __init__(self, video: Path, task_folder: Path | None = None,
                 synchronous: bool = False, parent=None) -> None:
        super().__init__(parent)
        # the task folder holds the worker's frame index and scrub proxy, when it wrote them
        index_file = Path(task_folder) / FRAME_INDEX if task_folder else None
        self.reader = FrameReader(video, index_file=index_file)
        self.proxy = ScrubProxy.open(task_folder, len(self.reader)) if task_folder else None
        self.seeks = SeekTimer(self.reader.index.longest_gop)
        self._noticed = False
        # ahead and behind together use at most two thirds of the reader's cache
        self._span = max(1, min(PREFETCH_FRAMES, self.reader.cache_frames // 3))
        self._synchronous = synchronous
        self._wake = threading.Condition()
        self._wanted: int | None = None
        self._shown = -1
        self._direction = 1  # +1 stepping or playing forward, -1 stepping back
        self._filled_behind = -1  # the frame shown when the frames behind it were last filled
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

    def _superseded(self) -> bool:
        """A newer request (or close) is waiting: the decode under way can stop."""
        return self._wanted is not None or self._closed

    def _deliver(self, index: int) -> None:
        image = self._ready.pop(index, None)
        if image is None:
            preview = None if self._synchronous else self.preview(index)
            if preview is not None:
                self.frameReady.emit(index, preview, False)
            try:
                image = to_qimage(self._decode(index))
            except DecodeInterrupted:
                return  # a newer request is waiting: it is served next
            except Exception as exc:  # a damaged frame: say so, keep the viewer alive
                self.failed.emit(f"frame {index} could not be decoded: {exc}")
                return
        step = index - self._shown
        self._direction = -1 if -self._span <= step < 0 else 1
        self._shown = index
        self._ready = {i: im for i, im in self._ready.items()
                       if 0 < (i - index) * self._direction <= READY_FRAMES}
        self.frameReady.emit(index, image, True)

    def _decode(self, index: int) -> np.ndarray:
        """The exact frame, timed. A far seek or a step back decodes the stretch before it in
        full (within its GOP; a few more frames than skipping would), so that stepping back
        from there finds the frames ready."""
        interrupt = None if self._synchronous else self._superseded
        frames = self.reader.cost(index)
        started = time.perf_counter()
        if frames > PROXY_ABOVE_FRAMES or (frames and index < self._shown):
            first = max(index - self._span, self.reader.index.keyframe_before(index))
            self.reader.fill(first, index, interrupt)
        pixels = self.reader.frame(index, "bgra", interrupt)
        self.seeks.add(frames, time.perf_counter() - started)
        self._judge_seeks()
        return pixels

    def _judge_seeks(self) -> None:
        slowest = self.seeks.slowest()
        if not self._noticed and slowest is not None and slowest > SLOW_SEEK_S:
            self._noticed = True
            self.notice.emit(slow_seek_notice(self.reader.path, self.seeks.longest_gop,
                                              slowest))

    def _next_to_convert(self) -> int | None:
        """The first frame after the one shown, in the direction of travel, that is decoded
        but not yet a QImage."""
        for step in range(1, READY_FRAMES + 1):
            i = self._shown + step * self._direction
            if not 0 <= i < len(self.reader):
                return None
            if i not in self._ready:
                return i if self.reader.cost(i) == 0 else None
        return None

    def _behind(self) -> tuple[int, int]:
        return max(self._shown - self._span, 0), self._shown - 1

    def _behind_missing(self) -> bool:
        """Frames just behind the one shown are not decoded (filled once per frame shown,
        so a cache too small to hold them all cannot keep the thread decoding)."""
        if self._filled_behind == self._shown:
            return False
        first, last = self._behind()
        return not all(self.reader.cached(i) for i in range(first, last + 1))

    def _idle_work(self) -> None:
        """One piece of reading ahead or behind, the direction of travel first."""
        if (ahead := self._next_to_convert()) is not None:
            self._ready[ahead] = to_qimage(self.reader.frame(ahead, "bgra"))
            return
        forward = self.reader.can_prefetch(self._shown, self._shown + self._span)
        if forward and (self._direction > 0 or not self._behind_missing()):
            self.reader.prefetch(self._shown, self._shown + self._span)
        elif self._behind_missing():
            self.reader.fill(*self._behind(), interrupt=self._superseded)
            self._filled_behind = self._shown

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
                self._idle_work()
            except DecodeInterrupted:
                continue
            except Exception:  # reading ahead is optional: stop it until the next request
                self._shown = -1

    def _prefetch_due(self) -> bool:
        if self._shown < 0:
            return False
        return (self._next_to_convert() is not None
                or self.reader.can_prefetch(self._shown, self._shown + self._span)
                or self._behind_missing())
