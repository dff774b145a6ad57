"""Rows as identities: track ids, untracked slots in frame order, the best of duplicates."""

import numpy as np

from ambientpose_desktop.core.identities import (
    identities_of_names,
    identity_arrays,
    identity_name,
    row_identities,
)
from ambientpose_desktop.core.pose_table import PoseTable


def _table(frames: list[list[tuple[int, float]]]) -> PoseTable:
    """One row per (idx, score); keypoint 0's x is the row number."""
    rows = [person for frame in frames for person in frame]
    keypoints = np.zeros((len(rows), 2, 3), np.float32)
    keypoints[:, 0, 0] = np.arange(len(rows))
    offsets = np.r_[0, np.cumsum([len(f) for f in frames])].astype(np.int64)
    return PoseTable(offsets=offsets, keypoints=keypoints, boxes=np.zeros((len(rows), 4),
                     np.float32), scores=np.asarray([s for _, s in rows], np.float32),
                     idx=np.asarray([i for i, _ in rows], np.int32))


def test_untracked_rows_take_slots_by_order_within_their_frame():
    table = _table([[(3, 0.9), (-1, 0.5), (-1, 0.4)], [], [(-1, 0.7)]])
    assert row_identities(table).tolist() == [3, -1, -2, -1]
    arrays = identity_arrays(table)
    assert arrays.names == ["person_3", "untracked_1", "untracked_2"]
    assert identity_name(-2) == "untracked_2"
    assert arrays.keypoints.shape == (3, 3, 2, 3)
    assert arrays.present.tolist() == [[True, True, True], [False, False, False],
                                       [False, True, False]]
    assert arrays.keypoints[2, 1, 0, 0] == 3  # the frame's first untracked row


def test_the_best_scored_of_two_rows_of_one_track_is_kept():
    table = _table([[(1, 0.2), (1, 0.8), (1, 0.5)], [(2, 0.1)]])
    arrays = identity_arrays(table)
    assert arrays.identities == [1, 2]
    assert arrays.scores[0, 0] == np.float32(0.8) and arrays.keypoints[0, 0, 0, 0] == 1
    assert np.isnan(arrays.scores[1, 0]) and arrays.scores[1, 1] == np.float32(0.1)


def test_our_names_give_their_ids_back_and_others_are_kept():
    ours = [identity_name(i) for i in (7, 2, -1, -2)]
    assert identities_of_names(ours) == ([7, 2, -1, -1], {})
    assert identities_of_names(["mouse", "rat"]) == ([0, 1], {0: "mouse", 1: "rat"})
    # one name not ours, or one id twice: numbered in order, every name kept
    assert identities_of_names(["person_4", "rat"]) == ([0, 1], {0: "person_4", 1: "rat"})
    assert identities_of_names(["person_1", "person_01"])[0] == [0, 1]
