"""Track ids across frames (placeholder greedy IoU matcher until ByteTrack lands)."""

from __future__ import annotations

from ambientpose_desktop.core.poses import Person


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ax0, ay0, ax1, ay1 = a
    bx0, by0, bx1, by1 = b
    w = max(0.0, min(ax1, bx1) - max(ax0, bx0))
    h = max(0.0, min(ay1, by1) - max(ay0, by0))
    inter = w * h
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return inter / union if union > 0 else 0.0


class PoseTracker:
    def __init__(self, fps: float = 30.0) -> None:
        self._last: dict[int, tuple[float, float, float, float]] = {}
        self._next = 0

    def update(self, persons: list[Person]) -> list[Person]:
        free = dict(self._last)
        current = {}
        for person in sorted(persons, key=lambda p: -p.score):
            best = max(free, key=lambda i: _iou(free[i], person.box_xyxy), default=None)
            if best is not None and _iou(free[best], person.box_xyxy) > 0.3:
                person.idx = best
                del free[best]
            else:
                person.idx = self._next
                self._next += 1
            current[person.idx] = person.box_xyxy
        self._last = current
        return persons
