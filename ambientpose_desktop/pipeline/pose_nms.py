"""Pose NMS: one pose per person and frame, before tracking.

A detector's box NMS keeps two boxes of one person when they differ in size (a box round the
whole body and one round the torso), so the same person is reported twice, and the online
tracker then gives the copy an id of its own. Like AlphaPose's pose NMS, we compare the
poses themselves: two poses of one frame whose keypoints nearly coincide, by COCO's object
keypoint similarity (OKS, per-keypoint sigmas from ``core.keypoints``), are one person. The
strongest is kept, and its keypoints become the score-weighted mean of the copies that agree
with it. People who merely overlap (a hug, someone behind someone) keep apart keypoints, so
their OKS stays low and both stay.

The similarity runs on every frame, as one NumPy expression over all pairs (a few
microseconds for a handful of people).
"""

from __future__ import annotations

import numpy as np

from ambientpose_desktop.core.keypoints import KeypointFormat
from ambientpose_desktop.core.poses import Person

# Two poses of one frame with a higher OKS are one person. Measured with the embedded model:
# copies of one person sit at 0.75-0.98; the two men hugging in mmaction2_demo_skeleton.mp4
# stay below 0.25, the two women hugging in openpose_video.avi mostly at 0.4-0.7 (where the
# model's two poses mix both women, up to 0.8: those are merged).
DUPLICATE_OKS = 0.7
# Keypoints less confident than this take no part in the comparison.
VISIBLE_SCORE = 0.3
# Fewer keypoints seen in both poses than this say nothing about identity: kept apart.
MIN_SHARED_KEYPOINTS = 3


def oks_matrix(keypoints: np.ndarray, boxes: np.ndarray, sigmas: np.ndarray,
               visible: float = VISIBLE_SCORE) -> np.ndarray:
    """Pairwise OKS of ``n`` poses, (n, n) float in 0..1.

    ``keypoints`` is (n, K, 3) x, y, score; ``boxes`` (n, 4) x, y, w, h, whose mean area is
    the scale, as AlphaPose does; only keypoints visible in both poses count."""
    xy = keypoints[:, :, :2].astype(np.float64)
    seen = keypoints[:, :, 2] >= visible
    area = boxes[:, 2].astype(np.float64) * boxes[:, 3]
    scale = (area[:, None] + area[None, :]) / 2 + np.spacing(1)
    d2 = ((xy[:, None] - xy[None]) ** 2).sum(-1)
    both = seen[:, None] & seen[None]
    kappa = (2 * np.asarray(sigmas, np.float64)) ** 2
    similarity = np.exp(-d2 / (2 * scale[..., None] * kappa))
    shared = both.sum(-1)
    oks = np.where(both, similarity, 0.0).sum(-1) / np.maximum(shared, 1)
    return np.where(shared >= MIN_SHARED_KEYPOINTS, oks, 0.0)


def pose_nms(persons: list[Person], fmt: KeypointFormat, threshold: float = DUPLICATE_OKS,
             merge: bool = True) -> list[Person]:
    """``persons`` of one frame with each person once: the strongest pose of every group of
    poses with OKS above ``threshold`` stays (in the original order), with its keypoints
    merged from the group when ``merge``, else as they were."""
    if len(persons) < 2:
        return persons
    keypoints = np.stack([p.keypoints for p in persons])
    boxes = np.asarray([p.box for p in persons], np.float64)
    oks = oks_matrix(keypoints, boxes, np.asarray(fmt.sigmas))
    strength = np.asarray([p.score for p in persons]) * _mean_visible_score(keypoints)
    order = np.argsort(-strength, kind="stable")
    alive = np.ones(len(persons), bool)
    kept = []
    for i in order:
        if not alive[i]:
            continue
        copies = alive & (oks[i] > threshold)
        copies[i] = False
        alive[copies] = False
        alive[i] = False
        if merge and copies.any():
            group = np.append(i, np.flatnonzero(copies))
            persons[i].keypoints = _merged(keypoints, i, group, boxes, fmt)
        kept.append(i)
    return [persons[i] for i in sorted(kept)]


def _mean_visible_score(keypoints: np.ndarray) -> np.ndarray:
    scores = keypoints[:, :, 2]
    seen = scores >= VISIBLE_SCORE
    return np.where(seen, scores, 0).sum(1) / np.maximum(seen.sum(1), 1)


def _merged(keypoints: np.ndarray, keep: int, group: np.ndarray, boxes: np.ndarray,
            fmt: KeypointFormat) -> np.ndarray:
    """The kept pose with each keypoint the score-weighted mean of the group's estimates that
    lie within one sigma-scaled distance of it (a copy's stray keypoint does not pull)."""
    members = keypoints[group].astype(np.float64)
    ref = keypoints[keep].astype(np.float64)
    scale = boxes[keep, 2] * boxes[keep, 3] + np.spacing(1)
    kappa = (2 * np.asarray(fmt.sigmas, np.float64)) ** 2
    d2 = ((members[:, :, :2] - ref[None, :, :2]) ** 2).sum(-1)
    near = d2 <= 2 * scale * kappa  # OKS term of that keypoint above exp(-1)
    weight = np.where(near, members[:, :, 2], 0.0)
    total = weight.sum(0)
    out = ref.copy()
    agree = total > 0
    out[agree, :2] = (weight[:, agree, None] * members[:, agree, :2]).sum(0) / total[agree, None]
    out[:, 2] = np.where(near, members[:, :, 2], 0.0).max(0)
    out[~agree, 2] = ref[~agree, 2]
    return out.astype(np.float32)


def same_frame_duplicates(keypoints: np.ndarray, boxes: np.ndarray, offsets: np.ndarray,
                          fmt: KeypointFormat, threshold: float) -> list[tuple[int, int, float]]:
    """Pairs of rows of one frame (a ``PoseTable``'s arrays) with OKS above ``threshold``:
    ``(row_a, row_b, oks)``, the measure of what pose NMS is for."""
    pairs = []
    sigmas = np.asarray(fmt.sigmas)
    counts = np.diff(offsets)
    for frame in np.flatnonzero(counts > 1):
        start, stop = int(offsets[frame]), int(offsets[frame + 1])
        oks = oks_matrix(keypoints[start:stop], boxes[start:stop], sigmas)
        a, b = np.nonzero(np.triu(oks > threshold, 1))
        pairs += [(start + int(i), start + int(j), float(oks[i, j])) for i, j in zip(a, b,
                                                                                      strict=True)]
    return pairs


class PoseNmsStage:
    """The frame stage (``pipeline.frame_stages.FrameStage``) that applies ``pose_nms``."""

    def __init__(self, fmt: KeypointFormat, threshold: float = DUPLICATE_OKS) -> None:
        self._fmt = fmt
        self._threshold = threshold

    def feed(self, item):
        item.persons = pose_nms(item.persons, self._fmt, self._threshold)
        return [item]

    def flush(self):
        return []
