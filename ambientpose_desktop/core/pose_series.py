"""Per-identity series over the edited results, for the viewer's plots."""

from __future__ import annotations

import numpy as np

from ambientpose_desktop.core.edited_table import EditedTable


def mean_confidence(table: EditedTable, identity: int) -> tuple[np.ndarray, np.ndarray]:
    """Frames where ``identity`` appears and its mean keypoint score there."""
    return table.frames_of(identity), table.confidence(table.rows_of(identity))


def keypoint_xy(table: EditedTable, identity: int,
                keypoint: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frames where ``identity`` appears, and x and y of ``keypoint`` there."""
    rows = table.rows_of(identity)
    points = table.table.keypoints[rows, keypoint]
    return table.frames_of(identity), points[:, 0], points[:, 1]
