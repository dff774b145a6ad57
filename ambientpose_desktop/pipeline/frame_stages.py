"""The per-frame stages between the model and the writers.

Each stage takes frames in order and hands on the frames that are ready, possibly later: the
online tracker holds a frame back until the next one has settled the ids of tracks that began
in it. At the end, ``flush`` hands on whatever is still held. A run is the same chain of
stages wherever it starts (from frame 0, a checkpoint, or a chunk of a long video).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

    from ambientpose_desktop.core.poses import Person
    from ambientpose_desktop.pipeline.tracking import PoseTracker


@dataclass
class FrameResult:
    """One decoded frame and the people found in it so far."""

    index: int
    timestamp: float
    image: np.ndarray
    persons: list[Person]
    # (people, DESCRIPTOR_SIZE) appearance, when computed before the ids (``checkpoint``)
    descriptors: np.ndarray | None = None
    scaled: np.ndarray | None = None  # ``image`` at the model's input size, when prescaled


class FrameStage(Protocol):
    def feed(self, item: FrameResult) -> list[FrameResult]:
        """Take the next frame; return the frames now ready, in order."""

    def flush(self) -> list[FrameResult]:
        """No more frames: return those still held."""


class TrackStage:
    """Online tracking (ByteTrack, ``pipeline/tracking.py``): every person gets an ``idx``."""

    def __init__(self, tracker: PoseTracker) -> None:
        self._tracker = tracker
        self._held: FrameResult | None = None

    def feed(self, item: FrameResult) -> list[FrameResult]:
        item.persons = self._tracker.update(item.persons, item.timestamp)
        # This update settled the ids of tracks that started in the held frame.
        ready = [self._held] if self._held is not None else []
        self._held = item
        return ready

    def flush(self) -> list[FrameResult]:
        self._tracker.finish()
        ready = [self._held] if self._held is not None else []
        self._held = None
        return ready


def run_stages(stages: list[FrameStage], items: list[FrameResult]) -> list[FrameResult]:
    """Pass ``items`` through every stage in turn; returns the frames ready at the end."""
    for stage in stages:
        items = [out for item in items for out in stage.feed(item)]
    return items


def flush_stages(stages: list[FrameStage]) -> list[FrameResult]:
    """No more frames: each stage in turn takes what the stages before it released, then
    releases what it still holds."""
    ready: list[FrameResult] = []
    for stage in stages:
        ready = [out for item in ready for out in stage.feed(item)] + stage.flush()
    return ready
