"""Fragments of the online tracker's output (tracklets) and what re-linking knows of each.

A tracklet is the rows of one online id. For each we keep, computed for all tracklets at
once with grouped NumPy sums over the rows sorted by (id, frame):

- where and when it begins and ends, and its motion there: position (box centre), velocity
  and size (box height) fitted over its first and last ``EDGE_S`` seconds;
- its appearance: the mean colour descriptor (``pipeline.appearance``) of its rows, each
  weighted by its score and by how little other people's boxes cover it, so the frames of
  an occlusion do not mix the occluder's colours in;
- its build: the lengths of the upper and lower arms and legs relative to the torso, as
  logarithms, averaged over the rows where they are seen;
- its weight: the sum of its scores (about its number of confident detections).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ambientpose_desktop.core.keypoints import KeypointFormat
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.pipeline.appearance import PART_BINS, PARTS

EDGE_S = 0.5  # seconds at each end over which position, velocity and size are fitted
_VISIBLE = 0.3
_BONES = (  # (left limb, right limb): one length per pair, the mean of the sides seen
    (("left_shoulder", "left_elbow"), ("right_shoulder", "right_elbow")),
    (("left_elbow", "left_wrist"), ("right_elbow", "right_wrist")),
    (("left_hip", "left_knee"), ("right_hip", "right_knee")),
    (("left_knee", "left_ankle"), ("right_knee", "right_ankle")),
)
_TORSO = (("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"))  # the scale


@dataclass
class Tracklets:
    """Per tracklet ``t`` (arrays of length T): ``rows[bounds[t]:bounds[t + 1]]`` are its
    table rows in frame order."""

    ids: np.ndarray  # online id
    rows: np.ndarray
    bounds: np.ndarray
    first: np.ndarray  # first and last frame
    last: np.ndarray
    start: np.ndarray  # seconds
    end: np.ndarray
    head: np.ndarray  # (T, 3): x, y, log height at the start
    head_velocity: np.ndarray  # (T, 3) per second
    tail: np.ndarray  # (T, 3) at the end
    tail_velocity: np.ndarray
    appearance: np.ndarray  # (T, D)
    build: np.ndarray  # (T, len(_BONES)), NaN where never seen
    weight: np.ndarray  # sum of scores

    def __len__(self) -> int:
        return len(self.ids)


def tracklets_of(table: PoseTable, appearance: np.ndarray, times: np.ndarray,
                 fmt: KeypointFormat) -> Tracklets:
    """The tracklets of ``table`` (rows with ``idx`` -1 are one tracklet each);
    ``appearance`` has one descriptor per row, ``times`` one time in seconds per frame."""
    frame = table.frame_of_row()
    ids = table.idx.astype(np.int64)
    untracked = ids < 0
    ids = np.where(untracked, ids.max(initial=0) + 1 + np.cumsum(untracked), ids)
    rows = np.lexsort((frame, ids))
    cut = np.flatnonzero(np.diff(ids[rows])) + 1
    bounds = np.concatenate([[0], cut, [len(rows)]] if len(rows) else [[0]]).astype(np.int64)
    starts, stops = bounds[:-1], bounds[1:] - 1
    groups = _Groups(bounds)
    t = np.asarray(times, np.float64)[frame[rows]]
    first_time, last_time = t[starts], t[stops]

    boxes = table.boxes[rows].astype(np.float64)
    signal = np.stack([boxes[:, 0] + boxes[:, 2] / 2, boxes[:, 1] + boxes[:, 3] / 2,
                       np.log(np.maximum(boxes[:, 3], 1.0))], 1)
    of_row = groups.of_row
    head, head_v = _fit(t, signal, t <= first_time[of_row] + EDGE_S, groups, first_time)
    tail, tail_v = _fit(t, signal, t >= last_time[of_row] - EDGE_S, groups, last_time)

    scores = table.scores[rows].astype(np.float64)
    clear = 1.0 - _max_overlap(table)[rows]
    return Tracklets(
        ids=ids[rows][starts], rows=rows, bounds=bounds,
        first=frame[rows][starts], last=frame[rows][stops],
        start=first_time, end=last_time, head=head, head_velocity=head_v, tail=tail,
        tail_velocity=tail_v,
        appearance=_mean_appearance(appearance[rows], scores * clear ** 2, groups),
        build=_build(table.keypoints, rows, scores, groups, fmt),
        weight=groups.sum(scores),
    )


class _Groups:
    """Sums over the rows of each tracklet (rows sorted by tracklet), as one sparse product:
    far faster than ``np.add.reduceat`` on wide arrays."""

    def __init__(self, bounds: np.ndarray) -> None:
        from scipy.sparse import csr_matrix

        rows = int(bounds[-1])
        self.of_row = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))
        self._matrix = csr_matrix((np.ones(rows), np.arange(rows), bounds),
                                  shape=(len(bounds) - 1, rows))

    def sum(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(self._matrix @ values)


def _fit(t: np.ndarray, y: np.ndarray, mask: np.ndarray, groups: _Groups,
         at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares line through ``y`` (rows, 3) against ``t`` per group, over the rows in
    ``mask``: its value at ``at`` and its slope (zero when the rows span under 0.1 s)."""
    w = mask.astype(np.float64)
    n = np.maximum(groups.sum(w), 1e-9)
    since = t - at[groups.of_row]  # time from the end point, so the intercept is the value there
    dt = since * w
    s_t, s_tt = groups.sum(dt), groups.sum(dt * since)
    s_y, s_ty = groups.sum(y * w[:, None]), groups.sum(y * dt[:, None])
    var = s_tt - s_t ** 2 / n
    span_ok = var > n * 0.03 ** 2  # about 0.1 s of spread
    slope = np.where(span_ok[:, None],
                     (s_ty - s_t[:, None] * s_y / n[:, None]) / np.where(span_ok, var, 1)[:, None],
                     0.0)
    value = (s_y - slope * s_t[:, None]) / n[:, None]
    return value, slope


def _max_overlap(table: PoseTable) -> np.ndarray:
    """Per row, the largest share of its box covered by another box of the same frame."""
    counts = np.diff(table.offsets)
    frame = table.frame_of_row()
    per_row = counts[frame]
    total = int(per_row.sum())
    if not total:
        return np.zeros(table.num_rows)
    a = np.repeat(np.arange(table.num_rows), per_row)
    begin = np.repeat(np.cumsum(per_row) - per_row, per_row)
    b = np.repeat(table.offsets[:-1][frame], per_row) + (np.arange(total) - begin)
    box = table.boxes.astype(np.float64)
    w = np.clip(np.minimum(box[a, 0] + box[a, 2], box[b, 0] + box[b, 2])
                - np.maximum(box[a, 0], box[b, 0]), 0, None)
    h = np.clip(np.minimum(box[a, 1] + box[a, 3], box[b, 1] + box[b, 3])
                - np.maximum(box[a, 1], box[b, 1]), 0, None)
    covered = np.where(a != b, w * h / np.maximum(box[a, 2] * box[a, 3], 1e-9), 0.0)
    return np.clip(np.maximum.reduceat(covered, np.cumsum(per_row) - per_row), 0, 1)


def _mean_appearance(descriptors: np.ndarray, weight: np.ndarray,
                     groups: _Groups) -> np.ndarray:
    """Weighted mean of each part's histograms per group, normalised again per part."""
    weighted = descriptors.astype(np.float32) * (weight + 1e-6).astype(np.float32)[:, None]
    summed = groups.sum(weighted).reshape(-1, len(PARTS), PART_BINS)
    total = summed.sum(-1, keepdims=True)
    mean = np.divide(summed, total, out=np.zeros_like(summed), where=total > 1e-9)
    return mean.reshape(len(summed), len(PARTS) * PART_BINS)


def _build(keypoints: np.ndarray, rows: np.ndarray, scores: np.ndarray, groups: _Groups,
           fmt: KeypointFormat) -> np.ndarray:
    """Per group of ``rows`` (in that order), the mean log length of each limb relative to
    the torso (NaN: never seen)."""
    limbs = [side for pair in (*_BONES, _TORSO) for side in pair]  # left, right, left, …
    ends = np.array([[fmt.index(a), fmt.index(b)] for a, b in limbs])
    a, b = keypoints[:, ends[:, 0]], keypoints[:, ends[:, 1]]  # (rows, limbs, 3)
    seen = (a[..., 2] >= _VISIBLE) & (b[..., 2] >= _VISIBLE)
    length = np.where(seen, np.sqrt(((a[..., :2] - b[..., :2]) ** 2).sum(-1)), 0)
    both_sides = seen.reshape(len(seen), -1, 2).sum(-1)
    mean = length.reshape(len(seen), -1, 2).sum(-1) / np.maximum(both_sides, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.log(mean[:, :-1] / mean[:, -1:])[rows]  # NaN or inf where not seen
    known = np.isfinite(values)
    w = known * scores[:, None]
    summed = groups.sum(np.where(known, values, 0) * w)
    count = groups.sum(w)
    return np.where(count > 0, summed / np.maximum(count, 1e-9), np.nan)
