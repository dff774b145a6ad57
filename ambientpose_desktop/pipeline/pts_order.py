"""Decoded frames put back in presentation order, for videos damaged inside their packets.

An H.264 decoder orders pictures by the order count written in each slice; damage there makes
it emit frames out of order (seen: frames 85-88 carried timestamps 84, 88, 86, 85, 87) or twice.
``PtsReorder`` holds the latest few frames and releases the one with the smallest timestamp
when more than ``window`` are held, so the frames of a good file pass straight through (one
window late) and memory stays flat. A frame whose timestamp repeats one already held or
released, or goes back past the window, has no place left: it is dropped and counted.
"""

from __future__ import annotations

import heapq
from typing import Generic, TypeVar

T = TypeVar("T")

# Frames held at most. H.264 keeps up to 16 pictures for reordering; damage seen in tests moved
# a frame by up to 12 places. Frames are held decoded but not converted (1.5 bytes a pixel).
REORDER_WINDOW = 16


class PtsReorder(Generic[T]):
    """``push`` each frame with its pts, then ``flush``; both return the frames released, in
    strictly increasing pts. ``dropped`` counts the frames that could not be placed."""

    def __init__(self, window: int = REORDER_WINDOW) -> None:
        if window < 0:
            raise ValueError(f"a reorder window cannot be negative ({window})")
        self._window = window
        self._heap: list[tuple[int, int, T]] = []  # (pts, arrival, frame): arrival breaks no tie
        self._held: set[int] = set()
        self._arrival = 0
        self._last: int | None = None  # pts of the last frame released
        self.dropped = 0

    def push(self, pts: int | None, item: T) -> list[T]:
        """Hold ``item``; returns what leaves the window. A frame without a pts cannot be
        ordered: everything held leaves first, then the frame itself."""
        if pts is None:
            return [*self.flush(), item]
        if pts in self._held or (self._last is not None and pts <= self._last):
            self.dropped += 1
            return []
        heapq.heappush(self._heap, (pts, self._arrival, item))
        self._held.add(pts)
        self._arrival += 1
        return [self._pop()] if len(self._heap) > self._window else []

    def flush(self) -> list[T]:
        """Everything still held, in order (at the end of the stream or at damage)."""
        return [self._pop() for _ in range(len(self._heap))]

    def _pop(self) -> T:
        pts, _, item = heapq.heappop(self._heap)
        self._held.discard(pts)
        self._last = pts
        return item
