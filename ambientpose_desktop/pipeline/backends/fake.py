"""A deterministic dry-run backend (seed §10): fast tests of everything but the model.

Two people walk across the frame; their keypoints depend only on the frame size and the frame
index, so a test can predict them. ``options["delay_s"]`` (or ``AMBIENTPOSE_FAKE_DELAY``)
sleeps per frame to make runs long enough to cancel; ``options["crash_at"]`` raises at that
frame to test failure handling.
"""

from __future__ import annotations

import os
import time

import numpy as np

from ambientpose_desktop.core.keypoints import COCO_17
from ambientpose_desktop.core.poses import Person
from ambientpose_desktop.pipeline.backends.base import (
    Availability,
    BackendConfig,
    BackendOption,
    PoseBackend,
)

# A standing person in unit box coordinates (x, y in 0..1), COCO-17 order.
_TEMPLATE = np.array([
    (0.50, 0.08), (0.46, 0.06), (0.54, 0.06), (0.42, 0.08), (0.58, 0.08),
    (0.35, 0.22), (0.65, 0.22), (0.28, 0.40), (0.72, 0.40), (0.25, 0.55), (0.75, 0.55),
    (0.40, 0.55), (0.60, 0.55), (0.40, 0.76), (0.60, 0.76), (0.40, 0.97), (0.60, 0.97),
], dtype=np.float32)


class FakeBackend(PoseBackend):
    name = "fake"
    title = "Dry run (fake poses, for testing)"
    keypoint_format = COCO_17.name
    batch_size = 4
    options = (
        BackendOption("delay_s", "Delay per frame (s)", "float",
                      float(os.environ.get("AMBIENTPOSE_FAKE_DELAY", 0) or 0),
                      "sleep per frame, to make runs long enough to cancel",
                      minimum=0.0, maximum=60.0),
        BackendOption("crash_at", "Crash at frame", "int", None,
                      "raise at this frame, to test failure handling", minimum=0),
    )

    def __init__(self, config: BackendConfig) -> None:
        super().__init__(config)
        self._frame = 0
        values = self.option_values(config)
        self._delay = values["delay_s"]
        self._crash_at = values["crash_at"]

    @classmethod
    def availability(cls, config: BackendConfig | None = None) -> Availability:
        return Availability(True, "always available; draws synthetic poses")

    def load(self) -> None:
        pass

    @property
    def device(self) -> str:
        return "cpu"

    def seek(self, frame: int) -> None:
        self._frame = frame

    def infer(self, frames: list[np.ndarray]) -> list[list[Person]]:
        out = []
        for image in frames:
            if self._crash_at is not None and self._frame >= int(self._crash_at):
                raise RuntimeError(f"fake backend crashed at frame {self._frame} as asked")
            if self._delay:
                time.sleep(self._delay)
            out.append(fake_people(self._frame, image.shape[1], image.shape[0]))
            self._frame += 1
        return out


def fake_people(frame: int, width: int, height: int) -> list[Person]:
    """The two people the fake backend reports for ``frame`` in a ``width`` x ``height`` image."""
    people = []
    box_w, box_h = width * 0.2, height * 0.6
    for track in range(2):
        x0 = (width * (0.1 + 0.4 * track) + frame * 2.0) % max(width - box_w, 1.0)
        y0 = height * 0.2
        xy = _TEMPLATE * np.array([box_w, box_h], dtype=np.float32) + np.array([x0, y0])
        scores = np.full((len(_TEMPLATE), 1), 0.9 - 0.1 * track, dtype=np.float32)
        people.append(Person(
            keypoints=np.hstack([xy, scores]),
            box=(float(x0), float(y0), float(box_w), float(box_h)),
            score=0.95 - 0.1 * track,
            idx=-1,
        ))
    return people
