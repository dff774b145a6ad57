"""Whether two pose result files agree: the check of our AlphaPose backend against AlphaPose.

Both sides are AlphaPose-format entry lists (``alphapose-results.json``, our ``pose.json``).
They agree when every frame has the same number of people and each person on one side has a
partner on the other whose keypoints are within ``px`` pixels and whose scores (keypoint and
person) are within ``score_tol``. People are paired per frame, closest keypoints first, since
the two writers need not list them in the same order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from ambientpose_desktop.core.results import frame_index_of


@dataclass
class Agreement:
    frames: int = 0
    people: int = 0
    count_mismatches: list[tuple[int, int, int]] = field(default_factory=list)  # frame, a, b
    max_keypoint_px: float = 0.0
    max_score_diff: float = 0.0
    px: float = 1.0
    score_tol: float = 1e-3

    @property
    def ok(self) -> bool:
        return (not self.count_mismatches and self.max_keypoint_px <= self.px
                and self.max_score_diff <= self.score_tol)

    def report(self) -> str:
        lines = [f"{self.frames} frames, {self.people} people paired: "
                 f"{'AGREE' if self.ok else 'DISAGREE'}",
                 f"  largest keypoint difference {self.max_keypoint_px:.3f} px "
                 f"(allowed {self.px})",
                 f"  largest score difference {self.max_score_diff:.2e} "
                 f"(allowed {self.score_tol})"]
        for frame, a, b in self.count_mismatches[:10]:
            lines.append(f"  frame {frame}: {a} people vs {b}")
        if len(self.count_mismatches) > 10:
            lines.append(f"  ... and {len(self.count_mismatches) - 10} more frames")
        return "\n".join(lines)


def _by_frame(entries: list[dict]) -> dict[int, list[dict]]:
    frames: dict[int, list[dict]] = defaultdict(list)
    for entry in entries:
        frames[frame_index_of(entry["image_id"])].append(entry)
    return frames


def compare(ours: list[dict], theirs: list[dict], px: float = 1.0,
            score_tol: float = 1e-3) -> Agreement:
    """How far ``ours`` is from ``theirs`` (video results, ``image_id`` like ``"12.jpg"``)."""
    a, b = _by_frame(ours), _by_frame(theirs)
    result = Agreement(px=px, score_tol=score_tol)
    for frame in sorted(set(a) | set(b)):
        left, right = a.get(frame, []), b.get(frame, [])
        result.frames += 1
        if len(left) != len(right):
            result.count_mismatches.append((frame, len(left), len(right)))
            continue
        for x, y in _pairs(left, right):
            kx = np.asarray(x["keypoints"], dtype=np.float64).reshape(-1, 3)
            ky = np.asarray(y["keypoints"], dtype=np.float64).reshape(-1, 3)
            result.people += 1
            if kx.shape != ky.shape:  # different keypoint formats never agree
                result.max_keypoint_px = float("inf")
                continue
            result.max_keypoint_px = max(result.max_keypoint_px,
                                         float(np.abs(kx[:, :2] - ky[:, :2]).max()))
            scores = [float(np.abs(kx[:, 2] - ky[:, 2]).max()),
                      abs(float(x["score"]) - float(y["score"]))]
            result.max_score_diff = max(result.max_score_diff, *scores)
    return result


def _pairs(left: list[dict], right: list[dict]) -> list[tuple[dict, dict]]:
    """Greedy pairing by mean keypoint distance, closest pair first."""
    def distance(x: dict, y: dict) -> float:
        kx = np.asarray(x["keypoints"], dtype=np.float64).reshape(-1, 3)[:, :2]
        ky = np.asarray(y["keypoints"], dtype=np.float64).reshape(-1, 3)[:, :2]
        return float(np.linalg.norm(kx - ky, axis=1).mean()) if kx.shape == ky.shape else 1e18

    costs = sorted((distance(x, y), i, j) for i, x in enumerate(left) for j, y in enumerate(right))
    used_left, used_right, pairs = set(), set(), []
    for _, i, j in costs:
        if i not in used_left and j not in used_right:
            used_left.add(i)
            used_right.add(j)
            pairs.append((left[i], right[j]))
    return pairs
