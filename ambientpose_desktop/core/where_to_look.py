"""Where a proofreader should look: frames computed from the edited results with NumPy.

Where the people shown change (PgUp/PgDn); where identities start or end (a fragment
boundary: often a track broken in two), two identities' boxes overlap (where trackers swap
people), an identity jumps further than a person moves (a swap that already happened), or a
pose's confidence drops below the threshold. Each finder returns the sorted frames of such
events for the identities not hidden; ``step_to`` picks the next or previous one. An overlap
or a low-confidence stretch counts once, where it starts, so stepping through them visits
each episode and not each of its frames.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from ambientpose_desktop.core.edited_table import EditedTable

OVERLAP_IOU = 0.3  # boxes this close are where identities get swapped
JUMP_JITTER = 0.25  # box heights a detection may wander from one frame to the next
JUMP_SPEED = 3.0  # box heights per second: faster than a person runs

_NONE = np.zeros(0, np.int64)


def _grouped(table: EditedTable, hidden: Collection[int],
             untracked: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the shown identities, grouped by identity and in frame order, and their ids;
    untracked people (several in a frame, no identity over time) only when asked."""
    ids = [i for i in table.identities() if i not in hidden and (untracked or i >= 0)]
    parts = [table.rows_of(i) for i in ids]
    if not parts:
        return _NONE, _NONE
    lengths = [len(p) for p in parts]
    return np.concatenate(parts), np.repeat(np.asarray(ids, np.int64), lengths)


def presence_changes(table: EditedTable, hidden: Collection[int] = ()) -> np.ndarray:
    """Frames where the set of identities shown differs from the frame before: someone
    appears, or someone seen in the frame before is gone (also just after the results end)."""
    rows, ids = _grouped(table, hidden, untracked=True)
    if not len(rows):
        return _NONE
    frames = table.table.frame_of_row()[rows]
    same = ids[1:] == ids[:-1]
    gap = frames[1:] - frames[:-1] > 1
    appear = frames[np.r_[True, ~same | gap]]
    gone = frames[np.r_[~same | gap, True]] + 1
    changes = np.unique(np.r_[appear, gone])
    return changes[changes > 0]


def bounds(table: EditedTable, hidden: Collection[int] = ()) -> np.ndarray:
    """First and last frames of every identity shown."""
    rows, ids = _grouped(table, hidden)
    if not len(rows):
        return _NONE
    frames = table.table.frame_of_row()[rows]
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[starts[1:] - 1, len(rows) - 1]
    return np.unique(np.r_[frames[starts], frames[ends]])


def jumps(table: EditedTable, fps: float, hidden: Collection[int] = ()) -> np.ndarray:
    """Frames where an identity's box centre moved further since its previous detection than
    ``JUMP_JITTER`` plus ``JUMP_SPEED`` per second of box heights."""
    rows, ids = _grouped(table, hidden)
    if len(rows) < 2:
        return _NONE
    boxes = table.table.boxes[rows]
    frames = table.table.frame_of_row()[rows]
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    moved = np.hypot(*(centres[1:] - centres[:-1]).T)
    seconds = (frames[1:] - frames[:-1]) / (fps or 30.0)
    height = np.maximum(boxes[1:, 3], boxes[:-1, 3])
    far = (ids[1:] == ids[:-1]) & (moved > height * (JUMP_JITTER + JUMP_SPEED * seconds))
    return np.unique(frames[1:][far])


def confidence_drops(table: EditedTable, threshold: float,
                     hidden: Collection[int] = ()) -> np.ndarray:
    """Frames where an identity's mean keypoint score falls below ``threshold`` (having been
    at or above it in its previous detection, or this being its first)."""
    rows, ids = _grouped(table, hidden)
    if not len(rows):
        return _NONE
    low = table.confidence(rows) < threshold
    after_low = np.r_[False, (ids[1:] == ids[:-1]) & low[:-1]]
    return np.unique(table.table.frame_of_row()[rows][low & ~after_low])


def overlaps(table: EditedTable, hidden: Collection[int] = (),
             min_iou: float = OVERLAP_IOU) -> np.ndarray:
    """Frames where the boxes of two shown identities start to overlap (IoU >= ``min_iou``)."""
    rows, _ = _grouped(table, hidden)
    rows = np.sort(rows)
    t = table.table
    frames, ids, boxes = t.frame_of_row()[rows], t.idx[rows].astype(np.int64), t.boxes[rows]
    if len(rows) < 2:
        return _NONE
    x1, y1 = boxes[:, 0], boxes[:, 1]
    x2, y2 = x1 + boxes[:, 2], y1 + boxes[:, 3]
    area = boxes[:, 2] * boxes[:, 3]
    hits_frames, hits_pairs = [], []
    for d in range(1, int(np.bincount(frames).max())):  # every pair of rows in one frame
        i = np.flatnonzero(frames[:-d] == frames[d:])
        j = i + d
        w = np.clip(np.minimum(x2[i], x2[j]) - np.maximum(x1[i], x1[j]), 0, None)
        h = np.clip(np.minimum(y2[i], y2[j]) - np.maximum(y1[i], y1[j]), 0, None)
        inter = w * h
        iou = inter / np.maximum(area[i] + area[j] - inter, 1e-9)
        hit = iou >= min_iou
        hits_frames.append(frames[i][hit])
        low, high = np.minimum(ids[i], ids[j])[hit], np.maximum(ids[i], ids[j])[hit]
        hits_pairs.append(low * (1 << 32) + high)
    if not hits_frames or not sum(map(len, hits_frames)):
        return _NONE
    f, pair = np.concatenate(hits_frames), np.concatenate(hits_pairs)
    order = np.lexsort((f, pair))
    f, pair = f[order], pair[order]
    start = np.r_[True, (pair[1:] != pair[:-1]) | (f[1:] - f[:-1] > 1)]
    return np.unique(f[start])


def step_to(frames: np.ndarray, current: int, step: int) -> int | None:
    """The first of ``frames`` (sorted) after ``current`` (``step`` > 0) or the last before
    it (``step`` < 0); None when there is none that way."""
    if step > 0:
        k = int(np.searchsorted(frames, current, side="right"))
        return int(frames[k]) if k < len(frames) else None
    k = int(np.searchsorted(frames, current, side="left")) - 1
    return int(frames[k]) if k >= 0 else None
