"""People of a results table as identities: the columns of SLEAP, DeepLabCut and NWB files.

Those formats hold one array per identity over the frames, where our table holds rows. A track
id (``idx``) is one identity, named ``person_<idx>`` in every export. Rows without a track id
(AlphaPose run without tracking) have no identity across frames; they take the slots
``untracked_1``, ``untracked_2``, … in their order within each frame, as DeepLabCut names the
animals of untracked predictions. Should a layer hold two rows of one track in a frame, the
higher-scored one is kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ambientpose_desktop.core.pose_table import PoseTable


def identity_name(identity: int) -> str:
    """``person_3`` for track 3; ``untracked_2`` for the second untracked slot (-2)."""
    return f"person_{identity}" if identity >= 0 else f"untracked_{-identity}"


_OUR_NAME = re.compile(r"(person|untracked)_(\d+)")


def identities_of_names(names: Sequence[str]) -> tuple[list[int], dict[int, str]]:
    """Track ids for the identities of a SLEAP or DeepLabCut file, in its order, and the names
    to keep. Our own names (``identity_name``) give their ids back (``untracked_<n>``: -1, no
    track), so our exports reopen as they were; other names number the identities 0, 1, …
    and are kept as their names."""
    ours = [_OUR_NAME.fullmatch(name) for name in names]
    tracked = [int(m.group(2)) for m in ours if m and m.group(1) == "person"]
    if all(ours) and len(set(tracked)) == len(tracked):
        return [int(m.group(2)) if m.group(1) == "person" else -1 for m in ours], {}
    return list(range(len(names))), dict(enumerate(names))


def row_identities(table: PoseTable) -> np.ndarray:
    """The identity of every row: its track id, or -1, -2, … for untracked rows of a frame."""
    ids = table.idx.astype(np.int64)
    untracked = np.flatnonzero(ids < 0)
    if untracked.size:
        frames = table.frame_of_row()[untracked]
        # position among the untracked rows of the same frame (rows of a frame are contiguous)
        starts = np.r_[0, np.flatnonzero(np.diff(frames)) + 1]
        rank = np.arange(untracked.size) - np.repeat(starts, np.diff(np.r_[starts,
                                                                            untracked.size]))
        ids = ids.copy()
        ids[untracked] = -(rank + 1)
    return ids


@dataclass
class IdentityArrays:
    """Dense arrays over frames and identities; NaN where an identity is absent."""

    identities: list[int]
    keypoints: np.ndarray  # (frames, identities, K, 3) float32: x, y, score
    scores: np.ndarray  # (frames, identities) float32: the person's score

    @property
    def names(self) -> list[str]:
        return [identity_name(i) for i in self.identities]

    @property
    def present(self) -> np.ndarray:
        """(frames, identities) bool: the identity was seen in the frame."""
        return ~np.isnan(self.scores)


def identity_arrays(table: PoseTable) -> IdentityArrays:
    """The table as dense identity arrays (tracked identities first, in id order)."""
    row_ids = row_identities(table)
    tracked = sorted(int(i) for i in np.unique(row_ids[row_ids >= 0]))
    untracked = sorted((int(i) for i in np.unique(row_ids[row_ids < 0])), reverse=True)
    identities = tracked + untracked
    column = {identity: c for c, identity in enumerate(identities)}
    columns = np.asarray([column[int(i)] for i in row_ids], np.int64)
    frames = table.frame_of_row()
    keypoints = np.full((table.num_frames, len(identities), table.num_keypoints, 3), np.nan,
                        np.float32)
    scores = np.full((table.num_frames, len(identities)), np.nan, np.float32)
    # one row per (frame, identity): the best-scored of duplicates
    cell = frames * max(len(identities), 1) + columns
    order = np.lexsort((table.scores, cell))
    last = np.r_[cell[order][1:] != cell[order][:-1], True] if order.size else order
    keep = order[last.astype(bool)] if order.size else order
    keypoints[frames[keep], columns[keep]] = table.keypoints[keep]
    scores[frames[keep], columns[keep]] = table.scores[keep]
    return IdentityArrays(identities, keypoints, scores)
