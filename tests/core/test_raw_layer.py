"""The raw layer and the table operations it needs: extra columns, row selection, chunks."""

from __future__ import annotations

import numpy as np
import pytest

from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.core.raw_layer import RawLayer


def _table(counts: list[int], ids: list[int]) -> PoseTable:
    rows = sum(counts)
    offsets = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    return PoseTable(offsets=offsets,
                     keypoints=np.arange(rows * 17 * 3, dtype=np.float32).reshape(rows, 17, 3),
                     boxes=np.arange(rows * 4, dtype=np.float32).reshape(rows, 4),
                     scores=np.linspace(0.5, 0.9, rows, dtype=np.float32),
                     idx=np.array(ids, np.int32))


def test_select_keeps_every_frame_and_only_the_chosen_rows():
    table = _table([2, 0, 1, 2, 0], [1, 2, 1, 1, 2])
    kept = table.select(np.array([True, False, False, True, True]))
    assert kept.offsets.tolist() == [0, 1, 1, 1, 3, 3]
    assert kept.idx.tolist() == [1, 1, 2]
    assert np.array_equal(kept.boxes, table.boxes[[0, 3, 4]])


def test_concat_puts_frames_one_after_the_other():
    joined = PoseTable.concat([_table([1, 2], [1, 1, 2]), _table([0, 1], [1])])
    assert joined.num_frames == 4 and joined.offsets.tolist() == [0, 1, 3, 3, 4]
    assert joined.idx.tolist() == [1, 1, 2, 1]


def test_extra_columns_ride_along_and_plain_load_ignores_them(tmp_path):
    table = _table([1, 2], [1, 1, 2])
    path = tmp_path / "t.npz"
    table.save(path, {"appearance": np.ones((3, 5), np.float16)})
    assert PoseTable.load(path).idx.tolist() == [1, 1, 2]
    assert PoseTable.load_columns(path, ["appearance"])["appearance"].shape == (3, 5)
    with pytest.raises(KeyError, match="linked_idx"):
        PoseTable.load_columns(path, ["linked_idx"])
    with pytest.raises(ValueError, match="one per row"):
        table.save(path, {"appearance": np.ones((2, 5))})
    with pytest.raises(ValueError, match="clashes"):
        table.save(path, {"idx": np.ones(3)})


def test_raw_layer_round_trip_rejected_rows_and_linked_table(tmp_path):
    table = _table([2, 1], [1, 2, 1])
    raw = RawLayer(table, np.full((3, 4), 0.25, np.float32), np.array([5, -1, 5], np.int32))
    raw.save(tmp_path / "raw.npz")
    back = RawLayer.load(tmp_path / "raw.npz")
    assert back.appearance.dtype == np.float16
    assert back.rejected_rows.tolist() == [1]
    linked = back.linked_table()
    assert linked.offsets.tolist() == [0, 1, 2] and linked.idx.tolist() == [5, 5]
    with pytest.raises(ValueError, match="descriptors"):
        RawLayer(table, np.zeros((2, 4)), np.zeros(3, np.int32))


def test_chunks_join_with_their_ids_moved_apart():
    first = RawLayer(_table([1, 1], [1, 2]), np.zeros((2, 4)), np.array([1, 1], np.int32))
    second = RawLayer(_table([2], [1, 2]), np.ones((2, 4)), np.array([1, -1], np.int32))
    joined = RawLayer.concat([first, second])
    assert joined.table.num_frames == 3
    assert joined.table.idx.tolist() == [1, 2, 3, 4]  # the second chunk's 1, 2 follow 2
    assert joined.linked_idx.tolist() == [1, 1, 3, -1]
    assert joined.appearance[2:].tolist() == [[1.0] * 4] * 2
