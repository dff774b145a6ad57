"""Decoding on a thread of its own, handed to the model in batches behind a bounded queue.

The model never waits for the decoder unless decoding is the slower of the two, and memory
stays flat however long the video: at most ``depth`` decoded frames are ever held here. The
backend's first steps, scaling the frame down and making the model's input of it
(``Backend.prescaler``), run here too, so that the model's thread does only the model's work.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ambientpose_desktop.pipeline.backends.base import Prescaled
from ambientpose_desktop.pipeline.helper_threads import helper_thread
from ambientpose_desktop.pipeline.video import FrameSource

_END = object()


class Decoded(NamedTuple):
    index: int
    timestamp: float
    image: np.ndarray  # RGB, as decoded
    scaled: Prescaled | None  # the prescaler's, None without one (or for an odd-sized frame)


class FrameFeed:
    """``start()``, then ``next_batch(size)`` until its second value is not ``None``."""

    def __init__(self, source: FrameSource, max_frames: int | None, stop: threading.Event,
                 depth: int = 8, start: int = 0,
                 prescale: Callable[[np.ndarray], Prescaled] | None = None,
                 below_model: bool = False) -> None:
        self._source = source
        self._prescale = prescale  # made for frames of the source's size only
        self._max_frames = max_frames
        self._start = start  # the first frame to decode (a resumed run's)
        self._stop = stop
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._thread = helper_thread(self._decode, "decode", below_model)
        self.decode_s = 0.0

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float = 5.0) -> None:
        self._thread.join(timeout=timeout)

    def _put(self, item: Any) -> bool:
        """Block until ``item`` is queued or the run stops; ``False`` when it stopped."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _decode(self) -> None:
        """Frames into the queue, then ``_END`` (or the exception that ended decoding)."""
        started = time.perf_counter()
        item: Any = _END
        try:
            size = (self._source.info.height, self._source.info.width)
            for index, timestamp, image in self._source.frames(self._max_frames,
                                                               start=self._start):
                scaled = (self._prescale(image) if self._prescale is not None
                          and image.shape[:2] == size else None)
                if not self._put(Decoded(index, timestamp, image, scaled)):
                    return
        except Exception as exc:  # handed to the consumer, which decides what it means
            item = exc
        finally:
            self.decode_s = time.perf_counter() - started
        self._put(item)

    def next_batch(self, size: int) -> tuple[list[Decoded], bool | Exception | None]:
        """Up to ``size`` frames as soon as some are there, and ``True`` (the stream ended),
        the exception that ended it, or ``None`` (more to come)."""
        if size < 1:
            raise ValueError(f"a batch needs at least one frame, not {size}")
        batch: list[Decoded] = []
        while len(batch) < size and not self._stop.is_set():
            try:
                item = self._queue.get(timeout=0.1 if not batch else 0.005)
            except queue.Empty:
                if batch:
                    return batch, None
                continue
            if item is _END:
                return batch, True
            if isinstance(item, Exception):
                return batch, item
            batch.append(item)
        return batch, None
