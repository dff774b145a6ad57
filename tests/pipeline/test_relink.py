"""Re-linking: the online tracker's fragments of one person become one identity again."""

from __future__ import annotations

import time

import numpy as np
import pytest

from ambientpose_desktop.core.keypoints import COCO_17
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.core.raw_layer import RawLayer
from ambientpose_desktop.pipeline.appearance import DESCRIPTOR_SIZE, PART_BINS, PARTS
from ambientpose_desktop.pipeline.relink import relink
from tests.pipeline.identity_media import synthetic_poses
from tests.pipeline.test_pose_nms import _STANDING

FPS = 30.0


def _clothes(colour: int) -> np.ndarray:
    """A descriptor whose every part is one bin: people of different ``colour`` differ."""
    out = np.zeros((len(PARTS), PART_BINS), np.float32)
    out[:, colour % PART_BINS] = 1.0
    return out.ravel()


class Scene:
    """Fragments of people, as the online tracker leaves them: ``add`` one per call."""

    def __init__(self, frames: int) -> None:
        self.frames = frames
        self.rows: list[tuple[int, int, float, float, int, float]] = []

    def add(self, online_id: int, frames: range, x0: float, vx: float = 0.0, colour: int = 0,
            y: float = 300.0, score: float = 0.9) -> Scene:
        """Someone at ``x0 + vx * t`` (pixels, t in seconds) in ``frames``."""
        for f in frames:
            self.rows.append((f, online_id, x0 + vx * f / FPS, y, colour, score))
        return self

    def build(self) -> tuple[PoseTable, np.ndarray, np.ndarray]:
        rows = sorted(self.rows, key=lambda r: (r[0], r[1]))
        frame = np.array([r[0] for r in rows], np.int64)
        x, y = np.array([r[2] for r in rows]), np.array([r[3] for r in rows])
        keypoints = np.zeros((len(rows), 17, 3), np.float32)
        keypoints[:, :, 0] = x[:, None] + _STANDING[:, 0]
        keypoints[:, :, 1] = y[:, None] + _STANDING[:, 1]
        keypoints[:, :, 2] = 0.9
        boxes = np.stack([x, y, np.full(len(x), 100.0), np.full(len(x), 300.0)], 1)
        offsets = np.zeros(self.frames + 1, np.int64)
        np.cumsum(np.bincount(frame, minlength=self.frames), out=offsets[1:])
        table = PoseTable(offsets=offsets, keypoints=keypoints, boxes=boxes.astype(np.float32),
                          scores=np.array([r[5] for r in rows], np.float32),
                          idx=np.array([r[1] for r in rows], np.int32))
        appearance = np.array([_clothes(r[4]) for r in rows], np.float16).reshape(
            -1, DESCRIPTOR_SIZE)
        return table, appearance, np.arange(self.frames) / FPS


def _identities(table: PoseTable, idx: np.ndarray) -> dict[int, set[int]]:
    """Online id -> the identities its rows got."""
    out: dict[int, set[int]] = {}
    for online, new in zip(table.idx.tolist(), idx.tolist(), strict=True):
        out.setdefault(online, set()).add(new)
    return out


def test_a_person_hidden_for_three_seconds_keeps_one_identity():
    scene = Scene(300).add(1, range(300), 200, vx=20, colour=1)
    scene.add(2, range(0, 60), 900, vx=-30, colour=2).add(3, range(150, 300), 900 - 150, vx=-30,
                                                            colour=2)
    table, appearance, times = scene.build()
    result = relink(table, appearance, times, COCO_17)
    assert _identities(table, result.idx) == {1: {1}, 2: {2}, 3: {2}}
    assert result.identities == 2 and result.tracklets == 3
    assert result.joins == [(150, 2, 3)]
    assert not len(result.rejected_rows)


def test_implausible_fragments_are_not_merged_without_people():
    scene = Scene(300).add(1, range(0, 100), 200, colour=1)
    scene.add(2, range(160, 300), 200, colour=5)  # same place, other clothes
    scene.add(3, range(0, 100), 1500, colour=3).add(4, range(101, 300), 100, colour=3)  # a leap
    table, appearance, times = scene.build()
    result = relink(table, appearance, times, COCO_17)
    assert result.identities == 4 and result.joins == []


def test_people_caps_identities_and_rejects_what_fits_none():
    scene = Scene(200).add(1, range(200), 200, colour=1).add(2, range(200), 800, colour=2)
    scene.add(3, range(50, 120), 1400, colour=3)  # a third person, while both others are seen
    table, appearance, times = scene.build()
    free = relink(table, appearance, times, COCO_17)
    capped = relink(table, appearance, times, COCO_17, people=2)
    assert free.identities == 3 and not len(free.rejected_rows)
    assert capped.identities == 2
    assert set(table.idx[capped.rejected_rows].tolist()) == {3}
    linked = capped.apply(table)
    assert linked.num_frames == table.num_frames and linked.num_rows == 400
    raw = RawLayer(table, appearance, capped.idx)  # every detection kept, rejected marked
    assert raw.table.num_rows == 470 and len(raw.rejected_rows) == 70


def test_with_people_a_long_absence_is_bridged_when_the_clothes_match():
    scene = Scene(1500).add(1, range(1500), 200, colour=1)
    scene.add(2, range(0, 200), 900, colour=2).add(3, range(1300, 1500), 1500, colour=2)  # 37 s
    table, appearance, times = scene.build()
    assert relink(table, appearance, times, COCO_17).identities == 3
    result = relink(table, appearance, times, COCO_17, people=2)
    assert _identities(table, result.idx) == {1: {1}, 2: {2}, 3: {2}}


def test_a_new_id_begun_on_a_copy_of_a_live_track_is_joined():
    scene = Scene(120).add(1, range(0, 62), 300, vx=30, colour=1)
    scene.add(2, range(60, 120), 300 + 30 * 60 / FPS + 4, vx=30, colour=1)  # overlaps 2 frames
    table, appearance, times = scene.build()
    result = relink(table, appearance, times, COCO_17)
    assert result.identities == 1
    linked = result.apply(table)
    assert np.all(np.diff(linked.offsets) == 1)  # one pose a frame: the weaker copy left out
    assert len(result.rejected_rows) == 2


def test_holes_the_online_tracker_filled_with_new_ids_are_mended():
    scene = Scene(90).add(1, [f for f in range(90) if f % 3], 300, colour=1)
    for k, f in enumerate(range(0, 90, 3)):  # every third frame under a fresh id
        scene.add(100 + k, range(f, f + 1), 300, colour=1)
    table, appearance, times = scene.build()
    result = relink(table, appearance, times, COCO_17)
    assert result.identities == 1 and not len(result.rejected_rows)


def test_deterministic_and_chunks_are_stitched_like_the_whole():
    scene = Scene(400).add(1, range(400), 200, vx=10, colour=1)
    scene.add(2, range(0, 150), 900, vx=-20, colour=2).add(3, range(240, 400), 900 - 160,
                                                             vx=-20, colour=2)
    table, appearance, times = scene.build()
    whole = relink(table, appearance, times, COCO_17)
    assert np.array_equal(whole.idx, relink(table, appearance, times, COCO_17).idx)

    def chunk(frames: slice) -> RawLayer:  # what a cluster node runs on its part of the video
        rows = slice(int(table.offsets[frames.start]), int(table.offsets[frames.stop]))
        part = PoseTable(offsets=table.offsets[frames.start:frames.stop + 1] - rows.start,
                         keypoints=table.keypoints[rows], boxes=table.boxes[rows],
                         scores=table.scores[rows], idx=_renumbered(table.idx[rows]))
        own = relink(part, appearance[rows], times[frames], COCO_17)
        return RawLayer(part, appearance[rows], own.idx)

    joined = RawLayer.concat([chunk(slice(0, 200)), chunk(slice(200, 400))])
    assert joined.table.num_rows == table.num_rows
    stitched = relink(joined.table, joined.appearance, times, COCO_17)
    assert np.array_equal(stitched.idx, whole.idx)


def _renumbered(ids: np.ndarray) -> np.ndarray:
    """Ids from 1 in order of first appearance, as each chunk's own tracker counts."""
    _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first))
    return (rank[inverse] + 1).astype(np.int32)


def test_raw_layer_round_trip_and_load_through_layers(tmp_path):
    from ambientpose_desktop.core.layers import Layer, available_layers, load_layer
    from ambientpose_desktop.core.task_folder import TaskFolder

    scene = Scene(100).add(1, range(100), 200, colour=1).add(2, range(20, 60), 900, colour=2)
    table, appearance, times = scene.build()
    result = relink(table, appearance, times, COCO_17, people=1)
    folder = TaskFolder(tmp_path)
    RawLayer(table, appearance, result.idx).save(folder.raw_table)
    result.apply(table).save(folder.pose_table)
    back = RawLayer.load(folder.raw_table)
    assert np.array_equal(back.linked_idx, result.idx)
    assert np.array_equal(back.appearance, appearance)
    assert back.linked_table().num_rows == result.apply(table).num_rows
    assert available_layers(tmp_path) == [Layer.RAW, Layer.LINKED]
    raw = load_layer(tmp_path, summary=None, layer="raw")
    assert raw.num_rows == 140 and np.array_equal(raw.idx, table.idx)


def test_an_empty_run_and_bad_arguments():
    table, appearance, times = Scene(10).build()
    result = relink(table, appearance, times, COCO_17)
    assert result.identities == 0 and len(result.idx) == 0
    with pytest.raises(ValueError, match="at least 1"):
        relink(table, appearance, times, COCO_17, people=0)
    with pytest.raises(ValueError, match="one time per frame"):
        relink(table, appearance, times[:5], COCO_17)


def test_one_hour_of_five_people_in_seconds():
    hour = synthetic_poses(3600, people=5, fps=FPS, seed=1)
    fragments = len(np.unique(hour.table.idx))
    started = time.perf_counter()
    capped = relink(hour.table, hour.appearance, hour.times, COCO_17, people=5)
    elapsed = time.perf_counter() - started
    free = relink(hour.table, hour.appearance, hour.times, COCO_17)
    real = hour.person >= 0
    assert fragments > 500
    assert elapsed < 30  # measured ~1.5 s; "seconds, not minutes" on a loaded machine
    for result in (capped, free):
        assert not np.any((result.idx < 0) & real)  # no real detection lost
        for person in range(5):  # each person is (nearly) one identity ...
            ids, counts = np.unique(result.idx[hour.person == person], return_counts=True)
            assert counts.max() >= 0.95 * counts.sum()
        for identity in np.unique(result.idx[result.idx >= 0]):  # ... and holds one person
            people, counts = np.unique(hour.person[result.idx == identity], return_counts=True)
            assert counts.max() >= 0.95 * counts.sum()
    assert capped.identities == 5
