"""The raw layer of results (``pose_raw.npz``): every detection the online tracker saw.

It is a ``PoseTable`` (``idx`` = the online tracker's ids) with two more columns, one value
per row, so ``PoseTable.load`` (and ``core.layers``) reads it like any other layer:

``appearance``  (rows, D) float16: the colour descriptor of each detection
                (``pipeline.appearance``), what re-linking compares; kept so the pass can be
                run again (after a chunk of a long video is added, with another ``--people``)
                without decoding the video again.
``linked_idx``  (rows,) int32: the id the row carries in the linked layer (``pose.npz`` /
                ``pose.json``), -1 when re-linking left it out (rejected: it fitted none of
                the expected people). The viewer shows those and proofreading can promote them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ambientpose_desktop.core.pose_table import PoseTable

APPEARANCE = "appearance"
LINKED_IDX = "linked_idx"


@dataclass
class RawLayer:
    table: PoseTable
    appearance: np.ndarray  # (rows, D)
    linked_idx: np.ndarray  # (rows,) int32, -1 = rejected

    def __post_init__(self) -> None:
        rows = self.table.num_rows
        if len(self.appearance) != rows or len(self.linked_idx) != rows:
            raise ValueError(f"raw layer: {len(self.appearance)} descriptors and "
                             f"{len(self.linked_idx)} linked ids for {rows} rows")

    @property
    def rejected_rows(self) -> np.ndarray:
        """Rows left out of the linked layer."""
        return np.flatnonzero(self.linked_idx < 0)

    def linked_table(self) -> PoseTable:
        """The linked layer this raw layer was linked into."""
        linked = self.table.select(self.linked_idx >= 0)
        linked.idx = self.linked_idx[self.linked_idx >= 0].astype(np.int32)
        return linked

    def save(self, path: Path) -> None:
        self.table.save(path, {APPEARANCE: self.appearance.astype(np.float16),
                               LINKED_IDX: self.linked_idx.astype(np.int32)})

    @classmethod
    def load(cls, path: Path) -> RawLayer:
        columns = PoseTable.load_columns(path, (APPEARANCE, LINKED_IDX))
        return cls(PoseTable.load(path), columns[APPEARANCE], columns[LINKED_IDX])

    @classmethod
    def concat(cls, chunks: Sequence[RawLayer]) -> RawLayer:
        """Consecutive chunks of one video as one raw layer, to be re-linked as a whole.

        Each chunk's tracker counted from 1, so the ids of later chunks (online and linked)
        are moved past those of earlier ones: a person crossing a chunk border is then two
        fragments, which re-linking joins like any other."""
        tables, linked, shift = [], [], 0
        for chunk in chunks:
            table = chunk.table
            tables.append(PoseTable(offsets=table.offsets, keypoints=table.keypoints,
                                    boxes=table.boxes, scores=table.scores,
                                    idx=_shifted(table.idx, shift)))
            linked.append(_shifted(chunk.linked_idx, shift))
            shift += max(int(table.idx.max(initial=0)), int(chunk.linked_idx.max(initial=0)))
        return cls(PoseTable.concat(tables), np.concatenate([c.appearance for c in chunks]),
                   np.concatenate(linked))


def _shifted(ids: np.ndarray, shift: int) -> np.ndarray:
    return np.where(ids >= 0, ids + shift, -1).astype(np.int32)
