"""The per-frame stages between the model and the writers.

Each stage takes frames in order and hands on the frames that are ready, possibly later: the
online tracker holds a frame back until the next one has settled the ids of tracks that began
in it. At the end, ``flush`` hands on whatever is still held. A run is the same chain of
stages wherever it starts (from frame 0, a checkpoint, or a chunk of a long video).
"""

from __future__ import annotations

import queue
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ambientpose_desktop.pipeline.helper_threads import helper_thread

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


class StagesThread:
    """The per-frame stages and what takes their frames, on a thread of their own behind a
    bounded queue: the model's thread hands a batch over and goes on to the next at once
    (on 2 cores, tracking, appearance and the sinks done in between held the model up by
    ~2.5 ms a 1080p frame). ``after_batch(count)`` runs on this thread after each batch's
    frames were taken (the checkpoint, progress). An error here ends the run: ``put`` and
    ``finish`` raise it on the model's thread. ``below_model``: see ``helper_threads``."""

    def __init__(self, stages: list[FrameStage], take, after_batch, depth: int = 4,
                 below_model: bool = False) -> None:
        self._stages, self._take, self._after_batch = stages, take, after_batch
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._dropping = False  # the run failed or stopped: what waits is not needed
        self._thread = helper_thread(self._loop, "stages", below_model)
        self._thread.start()

    def _loop(self) -> None:
        while (items := self._queue.get()) is not None:
            if self._error is not None or self._dropping:
                continue  # drain, so that the model's thread never blocks on a full queue
            try:
                for item in run_stages(self._stages, items):
                    self._take(item)
                self._after_batch(len(items))
            except BaseException as exc:
                self._error = exc

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def put(self, items: list[FrameResult]) -> None:
        self._raise()
        self._queue.put(items)

    def finish(self) -> None:
        """Wait for the frames handed over, then flush the stages into ``take``."""
        self._queue.put(None)
        self._thread.join()
        self._raise()
        for item in flush_stages(self._stages):
            self._take(item)

    def abort(self) -> None:
        """The run failed or was stopped: end the thread, dropping what waits."""
        self._dropping = True
        self._queue.put(None)
        self._thread.join(timeout=5)
