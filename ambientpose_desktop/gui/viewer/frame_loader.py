"""Frames for the viewer, decoded on a thread of their own: request → decode → ``frameReady``.

The GUI thread only asks (``request``); the newest request wins, even over a decode under
way (it is interrupted between two frames, the decoder keeping its place), so dragging the
slider or playing faster than decoding drops stale frames instead of queueing them. When the
exact frame needs a long decode (a seek far into a long GOP, or a near one where those prove
slow), the same frame from the task's scrub proxy is shown first (``exact=False``), then the
full-resolution one. While idle, the thread decodes ahead of the last frame shown and behind
it (so stepping either way finds frames decoded), and converts the next few in the direction
of travel (and the one before) to QImages, which ``request`` hands out at once. Memory: the
reader's decoded-frame cache (512 MiB) and ``READY_FRAMES`` QImages (~8 MiB each at 1080p,
less at display size).

Frames come at full resolution unless the viewer says (``set_display_size``) at what size,
in device pixels, it shows them: then they are scaled in the same libswscale pass as the
colour conversion, on this thread, and painting them is a plain copy on the GUI thread.

Where exact seeks stay slow (a keyframe every few hundred frames at high resolution on a
slow machine), ``notice`` says so once, with the command that makes a fast-seeking copy;
frames come from the task's copy when it has one that matches (``pipeline.seekable_copy``),
and from one made meanwhile after ``use_copy`` (``switched`` says how that went).
``synchronous=True`` decodes in the caller's thread instead (tests, screenshots).
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import deque
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from ambientpose_desktop.pipeline.frame_reader import DecodeInterrupted
from ambientpose_desktop.pipeline.scrub_proxy import ScrubProxy
from ambientpose_desktop.pipeline.seekable_copy import open_frames, open_matching_copy

PREFETCH_FRAMES = 24  # decoded (YUV) ahead of the frame shown
BEHIND_FRAMES = 24  # and behind it, for stepping back
READY_FRAMES = 6  # of those, converted to QImage ahead in the direction of travel (+1 back)
FAR_SEEK_FRAMES = 4  # a seek decoding more frames is far: the proxy first, the stretch filled
# A near seek (2 to FAR_SEEK_FRAMES frames, the keyframe among them) shows the proxy first too
# unless such decodes have taken less than this here: ~10 ms on a fast machine, 40-80 ms at
# 1080p on a slow one.
PREVIEW_ABOVE_S = 0.015
_NEAR_TIMED = 9  # the latest near decodes judged
SLOW_SEEK_S = 0.25  # exact seeks estimated slower than this in the longest GOP: say so once
_SEEKS_TO_JUDGE = 2  # far seeks timed before judging


def to_qimage(pixels: np.ndarray) -> QImage:
    """A QImage owning a copy of ``pixels``: (H, W, 3) RGB, or (H, W, 4) BGRA from
    ``FrameReader.frame(i, "bgra")``, which Qt scales and paints over twice as fast."""
    height, width, channels = pixels.shape
    pixels = np.ascontiguousarray(pixels)
    fmt = QImage.Format.Format_RGB32 if channels == 4 else QImage.Format.Format_RGB888
    return QImage(pixels.data, width, height, channels * width, fmt).copy()


def slow_seek_reason(video: Path, gop: int, seconds: float) -> str:
    """Why exact frames of ``video`` are slow to appear, in one sentence."""
    return (f"Exact frames can take {seconds:.1f} s to appear: {Path(video).name} has a "
            f"keyframe only every {gop} frames.")


def slow_seek_notice(video: Path, gop: int, seconds: float) -> str:
    """What the loader says once when exact frames of ``video`` are slow to seek to."""
    video = Path(video)
    return (f"{slow_seek_reason(video, gop, seconds)} For fast seeking, make a copy with "
            f"`ambientpose repair {video.name} -o {video.stem}_seekable.mp4`.")


class SeekTimer:
    """Times the far seeks (decodes of many frames) to estimate the slowest one this video
    can need (the seconds per frame decoded times its longest keyframe interval), and the
    near ones, to tell whether they are quick enough to go without the proxy."""

    def __init__(self, longest_gop: int) -> None:
        self.longest_gop = longest_gop
        self._per_frame: list[float] = []
        self._near: deque[float] = deque(maxlen=_NEAR_TIMED)

    def add(self, frames: int, seconds: float) -> None:
        if frames > FAR_SEEK_FRAMES:
            self._per_frame.append(seconds / frames)
        elif frames >= 2:
            self._near.append(seconds)

    def near_is_slow(self) -> bool:
        """Near seeks take longer than ``PREVIEW_ABOVE_S`` here (so far as timed; untimed,
        they are taken to)."""
        return not self._near or statistics.median(self._near) > PREVIEW_ABOVE_S

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
    switched = Signal(bool, str)  # frames now come from the seekable copy; one line why not

    def __init__(self, video: Path, task_folder: Path | None = None,
                 synchronous: bool = False, parent=None) -> None:
        super().__init__(parent)
        # the task folder holds the worker's frame index and scrub proxy, when it wrote them,
        # and the fast-seeking copy when one was made
        self.source = Path(video)
        self._folder = Path(task_folder) if task_folder else None
        self.reader = open_frames(self.source, self._folder)
        self._switching = False
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
        self._ready: dict[int, QImage] = {}  # converted ahead (changed under ``_wake``)
        self._served = 0  # frames ``request`` handed out itself: a piece of work under way
        self._piece = 0  # ... started at this count is superseded once it changes
        self._display: tuple[int, int] | None = None  # (width, height) to deliver; None: full
        self._closed = False
        self._thread: threading.Thread | None = None
        if not synchronous:
            self._thread = threading.Thread(target=self._loop, name="frames", daemon=True)
            self._thread.start()

    def __len__(self) -> int:
        return len(self.reader)

    @property
    def reading_copy(self) -> bool:
        """Frames come from the task's seekable copy, not the video itself."""
        return self.reader.path != self.source

    def use_copy(self) -> None:
        """Read from the task's seekable copy from now on, once checked to have the same
        frames (on the loader thread: opening it demuxes the whole copy once)."""
        if self._synchronous:
            self._switch()
            return
        with self._wake:
            self._switching = True
            self._wake.notify()

    def _switch(self) -> None:
        copy = open_matching_copy(self._folder, len(self)) if self._folder else None
        if copy is None:
            self.switched.emit(False, f"The fast-seeking copy does not have the {len(self)} "
                                      f"frames of {self.source.name}: frames still come "
                                      "from the video")
            return
        old, self.reader = self.reader, copy
        old.close()
        self.seeks = SeekTimer(copy.index.longest_gop)
        with self._wake:
            self._ready = {}
        self._filled_behind = -1
        self.switched.emit(True, f"Frames now come from the fast-seeking copy {copy.path.name} "
                                 f"(a keyframe every {copy.index.longest_gop} frames or less)")
        if self._shown >= 0:
            self._deliver(self._shown)

    def request(self, index: int) -> None:
        """Ask for frame ``index``. One converted ahead already is emitted at once, from the
        caller's thread (stepping with a key held then never waits for the frame the
        loader thread is decoding meanwhile); any other comes from the loader thread."""
        if self._synchronous:
            self._deliver(index)
            return
        with self._wake:
            image = self._ready.pop(index, None)
            if image is not None and self._fits(image):
                self._wanted = None  # an older request still waiting is superseded too
                self._served += 1
                self._now_shown(index)
            else:
                image, self._wanted = None, index
            self._wake.notify()
        if image is not None:
            self.frameReady.emit(index, image, True)

    def set_display_size(self, width: int, height: int) -> None:
        """Deliver frames at ``width`` x ``height`` device pixels (the size the canvas shows
        them at) from now on; the frame shown is delivered again at that size."""
        size = (max(int(width), 1), max(int(height), 1))
        with self._wake:
            if size == self._display:
                return
            self._display = size
            again = self._wanted is None and self._shown >= 0
        if again:
            self.request(self._shown)

    def _image(self, index: int, interrupt=None) -> QImage:
        """Frame ``index`` (decoded or cached) as a QImage at the display size."""
        return to_qimage(self.reader.frame(index, "bgra", interrupt, self._display))

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
        """The proxy's image of ``index`` if the exact one is slow to get, else None. Never
        for a step (one frame to decode): the proxy would flash up between sharp frames."""
        if self.proxy is None or index >= len(self.proxy):
            return None
        frames = self.reader.cost(index)
        if frames <= 1 or (frames <= FAR_SEEK_FRAMES and not self.seeks.near_is_slow()):
            return None
        try:
            return to_qimage(self.proxy.frame(index))
        except (IndexError, OSError):  # a damaged proxy only costs the preview
            return None

    def _superseded(self) -> bool:
        """A newer request is waiting or was served (or close): the decode under way can
        stop."""
        return self._wanted is not None or self._closed or self._served != self._piece

    def _deliver(self, index: int) -> None:
        image = self._ready.pop(index, None)
        if image is not None and not self._fits(image):
            image = None  # converted before the canvas changed size
        if image is None:
            preview = None if self._synchronous else self.preview(index)
            if preview is not None:
                self.frameReady.emit(index, preview, False)
            try:
                image = self._decode(index)
            except DecodeInterrupted:
                return  # a newer request is waiting: it is served next
            except Exception as exc:  # a damaged frame: say so, keep the viewer alive
                self.failed.emit(f"frame {index} could not be decoded: {exc}")
                return
        with self._wake:
            if self._served != self._piece:
                return  # ``request`` showed a newer frame meanwhile
            self._now_shown(index)
        self.frameReady.emit(index, image, True)

    def _now_shown(self, index: int) -> None:
        """``index`` is the frame shown (called under ``_wake``): reading ahead follows it."""
        step = index - self._shown
        if step:  # the same frame again (at a new size) keeps the direction of travel
            self._direction = -1 if -self._span <= step < 0 else 1
        self._shown = index
        self._ready = {i: im for i, im in self._ready.items() if self._keeps_ready(i)}

    def _fits(self, image: QImage) -> bool:
        size = self._display or self.reader.size
        return (image.width(), image.height()) == size

    def _decode(self, index: int) -> QImage:
        """The exact frame, timed. A far seek or a step back decodes the stretch before it in
        full (within its GOP; a few more frames than skipping would), so that stepping back
        from there finds the frames ready."""
        interrupt = None if self._synchronous else self._superseded
        frames = self.reader.cost(index)
        started = time.perf_counter()
        if frames > FAR_SEEK_FRAMES or (frames and index < self._shown):
            first = max(index - self._span, self.reader.index.keyframe_before(index))
            self.reader.fill(first, index, interrupt)
        image = self._image(index, interrupt)
        self.seeks.add(frames, time.perf_counter() - started)
        self._judge_seeks()
        return image

    def _judge_seeks(self) -> None:
        slowest = self.seeks.slowest()
        if not self._noticed and slowest is not None and slowest > SLOW_SEEK_S:
            self._noticed = True
            self.notice.emit(slow_seek_notice(self.reader.path, self.seeks.longest_gop,
                                              slowest))

    def _keeps_ready(self, i: int) -> bool:
        """Frames kept converted: ``READY_FRAMES`` after the one shown in the direction of
        travel, and the one before it (turning back after a far seek finds it ready)."""
        step = (i - self._shown) * self._direction
        return 0 < step <= READY_FRAMES or step == -1

    def _next_to_convert(self) -> int | None:
        """The next frame to keep converted that is decoded but not yet a QImage: the first
        ones ahead up to one not decoded yet (reading ahead decodes it), then the one
        before."""
        ahead = (self._shown + k * self._direction for k in range(1, READY_FRAMES + 1))
        for candidates in (ahead, (self._shown - self._direction,)):
            for i in candidates:
                if not 0 <= i < len(self.reader):
                    break
                ready = self._ready.get(i)  # (``request`` may take it meanwhile)
                if ready is not None and self._fits(ready):
                    continue
                if self.reader.cost(i) == 0:
                    return i
                break
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
            image = self._image(ahead)
            with self._wake:
                if self._keeps_ready(ahead):  # the frame shown may have moved meanwhile
                    self._ready[ahead] = image
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
                while (self._wanted is None and not self._closed and not self._switching
                       and not self._prefetch_due()):
                    self._wake.wait()
                if self._closed:
                    return
                index, self._wanted = self._wanted, None
                switch, self._switching = self._switching, False
                self._piece = self._served
            if switch:
                self._switch()
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
