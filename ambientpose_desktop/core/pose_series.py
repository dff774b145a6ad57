"""Per-track series and change points over a ``PoseTable``, for the viewer's plots and keys."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from ambientpose_desktop.core.pose_table import PoseTable


def track_ids(table: PoseTable) -> list[int]:
    return sorted(int(i) for i in np.unique(table.idx))


def _track_rows(table: PoseTable, track: int) -> tuple[np.ndarray, np.ndarray]:
    rows = np.flatnonzero(table.idx == track)
    return rows, table.frame_of_row()[rows]


def mean_confidence(table: PoseTable, track: int) -> tuple[np.ndarray, np.ndarray]:
    """Frames where ``track`` appears and its mean keypoint score there."""
    rows, frames = _track_rows(table, track)
    return frames, table.keypoints[rows, :, 2].mean(axis=1)


def keypoint_xy(table: PoseTable, track: int,
                keypoint: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frames where ``track`` appears, and x and y of ``keypoint`` there."""
    rows, frames = _track_rows(table, track)
    return frames, table.keypoints[rows, keypoint, 0], table.keypoints[rows, keypoint, 1]


def visible_tracks(table: PoseTable, frame: int, hidden: Collection[int] = ()) -> frozenset[int]:
    if not 0 <= frame < table.num_frames:
        return frozenset()
    return frozenset(int(i) for i in table.idx[table.rows(frame)] if int(i) not in hidden)


def next_change(table: PoseTable, frame: int, step: int, hidden: Collection[int] = (),
                last: int | None = None) -> int:
    """The nearest frame beyond ``frame`` in direction ``step`` (+1 or -1) where the set of
    visible people differs from the frame before it; the first or last frame if none does."""
    last = table.num_frames - 1 if last is None else last

    def changes_at(i: int) -> bool:
        return visible_tracks(table, i, hidden) != visible_tracks(table, i - 1, hidden)

    i = frame + step
    while 0 < i < last and not changes_at(i):
        i += step
    return max(0, min(i, last))
