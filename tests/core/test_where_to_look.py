"""Where to look: boundaries, overlaps, jumps and confidence drops, on a scene made to have
them, and against loops over every detection on random results."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ambientpose_desktop.core import edits, where_to_look
from ambientpose_desktop.core.edited_table import EditedTable
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.core.poses import FramePoses, Person
from tests.core.edit_reference import make_table


def scene() -> EditedTable:
    """#1 walks right over frames 0–49; #2 (10–30) crosses it in frames 20–25; #3 (5–59)
    teleports at frame 40 and is unsure in frames 45–47 and at 52."""
    frames = []
    for f in range(60):
        people = []
        if f < 50:
            people.append((1, 100 + 2 * f, 0.9))
        if 10 <= f <= 30:
            people.append((2, 110 + 2 * f if 20 <= f <= 25 else 600, 0.9))
        if f >= 5:
            people.append((3, 900 if f < 40 else 1500, 0.2 if f in (45, 46, 47, 52) else 0.9))
        frames.append(FramePoses(f, f / 30, [
            Person(np.full((4, 3), score, np.float32), (float(x), 100.0, 50.0, 100.0), 0.9, i)
            for i, x, score in people]))
    return EditedTable(PoseTable.from_frames(frames, 4))


def test_the_scene_has_what_it_was_made_with():
    table = scene()
    assert where_to_look.bounds(table).tolist() == [0, 5, 10, 30, 49, 59]
    assert where_to_look.overlaps(table).tolist() == [20]  # one episode, where it starts
    assert where_to_look.jumps(table, 30.0).tolist() == [20, 26, 40]  # #2 jumps in and out
    assert where_to_look.confidence_drops(table, 0.3).tolist() == [45, 52]
    assert where_to_look.bounds(table, hidden={2}).tolist() == [0, 5, 49, 59]
    assert where_to_look.overlaps(table, hidden={2}).tolist() == []
    table.apply(edits.DeleteIdentity(3, 45, 47))  # the edited results are what is looked at
    assert where_to_look.confidence_drops(table, 0.3).tolist() == [52]


def test_step_to():
    frames = np.array([3, 8, 20])
    assert [where_to_look.step_to(frames, f, 1) for f in (0, 3, 19, 20)] == [3, 8, 20, None]
    assert [where_to_look.step_to(frames, f, -1) for f in (0, 3, 9, 30)] == [None, None, 8, 20]


def iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    return w * h / (aw * ah + bw * bh - w * h)


@pytest.mark.parametrize("seed", range(3))
def test_against_loops_over_every_detection(seed):
    rng = np.random.default_rng(seed)
    linked = make_table({i: range(int(rng.integers(0, 20)), int(rng.integers(30, 60)))
                         for i in range(1, 7)}, 60, seed=seed)
    linked.boxes[:, :2] = rng.random((linked.num_rows, 2)) * 200  # crowded: boxes overlap
    table = EditedTable(linked)
    table.apply(edits.DeleteIdentity(2, 30, 35))
    packed = table.to_table()
    per_frame = [[p for p in packed.persons(f) if p.idx != 4] for f in range(60)]
    tracks: dict[int, list[tuple[int, Person]]] = {}
    for f, people in enumerate(per_frame):
        for p in people:
            tracks.setdefault(p.idx, []).append((f, p))
    overlapping = {(f, a.idx, b.idx) for f, people in enumerate(per_frame)
                   for a, b in itertools.combinations(people, 2)
                   if iou(a.box, b.box) >= where_to_look.OVERLAP_IOU}
    starts = {f for f, a, b in overlapping
              if (f - 1, a, b) not in overlapping and (f - 1, b, a) not in overlapping}
    jumps, drops = set(), set()
    for seen in tracks.values():
        was_low = False
        for n, (f, p) in enumerate(seen):
            low = p.keypoints[:, 2].mean() < 0.5
            if low and not was_low:
                drops.add(f)
            was_low = low
            if n:
                g, q = seen[n - 1]
                moved = np.hypot(p.box[0] + p.box[2] / 2 - q.box[0] - q.box[2] / 2,
                                 p.box[1] + p.box[3] / 2 - q.box[1] - q.box[3] / 2)
                allowed = max(p.box[3], q.box[3]) * (where_to_look.JUMP_JITTER
                                                     + where_to_look.JUMP_SPEED * (f - g) / 30)
                if moved > allowed:
                    jumps.add(f)
    assert where_to_look.overlaps(table, {4}).tolist() == sorted(starts) and starts
    assert where_to_look.jumps(table, 30.0, {4}).tolist() == sorted(jumps) and jumps
    assert where_to_look.confidence_drops(table, 0.5, {4}).tolist() == sorted(drops) and drops
