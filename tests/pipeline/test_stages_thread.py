"""The per-frame stages on their own thread: every frame comes out once, in order, flushed
at the end; an error there reaches the model's thread and never leaves it blocked."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from ambientpose_desktop.pipeline.frame_stages import FrameResult, StagesThread


class _HoldOne:
    """Holds each frame until the next comes (as the tracker does); fails on ``bad``."""

    def __init__(self, bad: int | None = None) -> None:
        self.held, self.bad = None, bad

    def feed(self, item):
        if item.index == self.bad:
            raise OSError("disk full")
        ready, self.held = ([self.held] if self.held else []), item
        return ready

    def flush(self):
        ready, self.held = ([self.held] if self.held else []), None
        return ready


def _items(first: int, count: int) -> list[FrameResult]:
    return [FrameResult(i, i / 30, np.zeros((2, 2, 3), np.uint8), [])
            for i in range(first, first + count)]


def test_every_frame_once_in_order_then_flushed():
    taken, batches, threads = [], [], set()
    run = StagesThread([_HoldOne()], lambda item: taken.append(item.index),
                       lambda n: (batches.append(n), threads.add(threading.current_thread())))
    for first in range(0, 20, 4):
        run.put(_items(first, 4))
    run.finish()
    assert taken == list(range(20)) and batches == [4] * 5
    assert threading.main_thread() not in threads


def test_an_error_there_is_raised_here_and_nothing_blocks():
    run = StagesThread([_HoldOne(bad=6)], lambda item: None, lambda n: None, depth=1)
    with pytest.raises(OSError, match="disk full"):  # raised by a later put or by finish
        for first in range(0, 400, 4):
            run.put(_items(first, 4))
        run.finish()
    run.abort()
