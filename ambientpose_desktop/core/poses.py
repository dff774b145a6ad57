"""Pose data shared by backends, tracker, writers, viewer and exporters."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Person:
    """One detected person in one frame.

    ``keypoints`` is a float32 array (K, 3) of x, y, score in pixels of the source frame;
    ``box`` is x, y, w, h; ``idx`` is the track id, stable across frames (-1 before tracking).
    """

    keypoints: np.ndarray
    box: tuple[float, float, float, float]
    score: float
    idx: int = -1

    def __post_init__(self) -> None:
        self.keypoints = np.asarray(self.keypoints, dtype=np.float32).reshape(-1, 3)

    @property
    def box_xyxy(self) -> tuple[float, float, float, float]:
        x, y, w, h = self.box
        return (x, y, x + w, y + h)


@dataclass
class FramePoses:
    """All people found in one frame; ``timestamp`` is seconds from the start of the video."""

    index: int
    timestamp: float
    persons: list[Person] = field(default_factory=list)
