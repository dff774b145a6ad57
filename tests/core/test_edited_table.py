"""Edits applied one at a time equal a slow replay from scratch; undo puts back every byte."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from ambientpose_desktop.core import edits
from ambientpose_desktop.core.edited_table import EditedTable, EditRefused
from tests.core.edit_reference import make_table, replay, same, to_frames

# 1 and 2 are fragments of one person; 3 is someone else; 4 overlaps 1 in time
PRESENCE = {1: range(0, 20), 2: range(25, 60), 3: range(0, 60), 4: range(10, 35)}


@pytest.fixture
def linked():
    return make_table(PRESENCE, 60, untracked={5: 2, 40: 1})


def test_each_operation_as_the_reference_does(linked):
    ops = [edits.Merge(2, 1), edits.Swap(1, 3, 30), edits.Swap(3, 4, 12, 20),
           edits.Split(3, 45, 7), edits.DeleteDetection(50, 7), edits.DeleteIdentity(4, 15, 18),
           edits.MoveKeypoint(33, 1, 2, 11.5, 22.25), edits.HideKeypoint(33, 1, 3),
           edits.DeleteIdentity(-1), edits.Rename(3, "child A")]
    table = EditedTable(linked)
    for n, op in enumerate(ops):
        table.apply(op)
        assert same(table.to_table(), replay(to_frames(linked), ops[:n + 1])), op
    assert table.names == {3: "child A"}
    assert table.label(3) == "#3 child A" and table.label(1) == "#1"
    assert table.identities() == [1, 3, 4, 7]


def test_the_linked_table_is_left_as_it_was(linked):
    before = [a.copy() for a in (linked.offsets, linked.keypoints, linked.idx, linked.boxes)]
    table = EditedTable(linked)
    for op in (edits.Merge(2, 1), edits.MoveKeypoint(3, 1, 0, 1.0, 2.0),
               edits.DeleteIdentity(3)):
        table.apply(op)
    after = (linked.offsets, linked.keypoints, linked.idx, linked.boxes)
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))


@pytest.mark.parametrize("op, why", [
    (edits.Merge(4, 1), "both in frame 10 and 9 more"),
    (edits.Merge(1, 1), "into itself"),
    (edits.Merge(9, 1), "there is no #9"),
    (edits.Swap(1, 2, 40, 30), "the first comes after the last"),
    (edits.Swap(1, 2, 21, 24), "neither #1 nor #2 is in frames 21–24"),
    (edits.Split(1, 0, 9), "splitting at frame 0 would leave nothing"),
    (edits.Split(1, 5, 3), "#3 already exists"),
    (edits.DeleteDetection(30, 1), "#1 is not in frame 30"),
    (edits.DeleteDetection(99, 1), "frame 99 is outside the results (0–59)"),
    (edits.DeleteIdentity(2, 0, 10), "#2 is not in frames 0–10"),
    (edits.MoveKeypoint(3, 1, 9, 0.0, 0.0), "keypoint 9 does not exist"),
    (edits.MoveKeypoint(3, -1, 0, 0.0, 0.0), "untracked detections"),
    (edits.Promote(3, 0, 8), "the raw layer has no detection 0 in frame 3"),
])
def test_refused_operations_say_why_and_change_nothing(linked, op, why):
    table = EditedTable(linked)
    before = table.to_table()
    with pytest.raises(EditRefused, match=re.escape(why)):
        table.apply(op)
    after = table.to_table()
    assert np.array_equal(before.idx, after.idx) and not table.applied


def test_hide_twice_is_refused(linked):
    table = EditedTable(linked)
    table.apply(edits.HideKeypoint(3, 1, 0))
    with pytest.raises(EditRefused, match="already not visible"):
        table.apply(edits.HideKeypoint(3, 1, 0))


def _random_op(rng: random.Random, table: EditedTable) -> edits.Operation:
    ids = table.identities() + [-1, 99]
    a, b = rng.choice(ids), rng.choice(ids)
    seen = table.frames_of(a)  # mostly frames where ``a`` is, some anywhere (or outside)
    frame = (int(rng.choice(seen)) if len(seen) and rng.random() < 0.8
             else rng.randrange(-2, table.num_frames + 2))
    kind = rng.randrange(8)
    if kind == 0:
        return edits.Merge(a, b)
    if kind == 1:
        last = rng.choice([None, frame + rng.randrange(0, 20)])
        return edits.Swap(a, b, frame, last)
    if kind == 2:
        return edits.Split(a, frame, table.next_identity())
    if kind == 3:
        return edits.DeleteDetection(frame, a)
    if kind == 4:
        return edits.DeleteIdentity(a, *rng.choice([(None, None), (frame, frame + 5)]))
    if kind == 5:
        return edits.MoveKeypoint(frame, a, rng.randrange(-1, 6), rng.random() * 9, 3.0)
    if kind == 6:
        return edits.HideKeypoint(frame, a, rng.randrange(0, 5))
    return edits.Promote(frame, rng.randrange(0, 3), rng.choice([a, table.next_identity()]))


@pytest.mark.parametrize("seed", range(4))
def test_random_edits_and_undos_match_the_reference(seed):
    rng = random.Random(seed)
    linked = make_table({i: range(rng.randrange(0, 30), rng.randrange(30, 80))
                         for i in range(1, 8)}, 80, seed=seed, untracked={7: 1})
    raw = make_table({i: range(0, 80) for i in range(1, 4)}, 80, seed=seed + 100)
    table = EditedTable(linked)
    table.add_candidates(raw, [(f, i) for f in range(0, 80, 3) for i in range(3)])
    log: list[edits.Operation] = []
    snapshots = [table.to_table()]
    for _ in range(120):
        if log and rng.random() < 0.25:
            table.undo()
            log.pop()
            snapshots.pop()
            undone = snapshots[-1]
            now = table.to_table()
            assert all(np.array_equal(getattr(undone, n), getattr(now, n))
                       for n in ("offsets", "idx", "keypoints", "boxes", "scores"))
            continue
        op = _random_op(rng, table)
        try:
            table.apply(op)
        except EditRefused:
            assert same(table.to_table(), replay(to_frames(linked), log, raw))
            continue
        log.append(op)
        snapshots.append(table.to_table())
        assert same(table.to_table(), replay(to_frames(linked), log, raw)), op
    # the per-identity rows kept up incrementally are those a fresh look finds
    packed = table.to_table()
    for identity in table.identities():
        assert np.array_equal(table.frames_of(identity),
                              packed.frame_of_row()[packed.idx == identity])


def test_promote_a_rejected_detection_of_the_raw_layer(linked):
    raw = make_table({1: range(0, 60), 11: range(20, 40)}, 60, seed=3)
    table = EditedTable(linked)
    done = [edits.Merge(2, 1), edits.MoveKeypoint(30, 1, 0, 5.0, 6.0)]
    for op in done:
        table.apply(op)
    index = next(i for i in range(raw.count(22)) if raw.idx[raw.rows(22).start + i] == 11)
    table.add_candidates(raw, [(22, index)])  # rows move: what was applied moves with them
    assert same(table.to_table(), replay(to_frames(linked), done))  # not results yet
    table.apply(edits.Promote(22, index, 12))
    assert same(table.to_table(), replay(to_frames(linked), [*done, edits.Promote(22, index, 12)],
                                         raw))
    assert table.stats(12).first == table.stats(12).last == 22
    with pytest.raises(EditRefused, match="already #12"):
        table.apply(edits.Promote(22, index, 13))
    table.undo()
    table.undo()  # the keypoint move, whose row moved when the candidate came in
    assert same(table.to_table(), replay(to_frames(linked), done[:1]))


def test_mean_keypoint_scores_follow_keypoint_edits_and_undos(linked):
    table = EditedTable(linked)
    rows = table.rows_of(1)
    assert np.allclose(table.confidence(rows), linked.keypoints[rows, :, 2].mean(axis=1))
    table.apply(edits.HideKeypoint(3, 1, 0))
    row = table.row_at(3, 1)
    assert table.confidence(np.array([row]))[0] == pytest.approx(
        table.table.keypoints[row, :, 2].mean())
    table.undo()
    assert np.allclose(table.confidence(rows), linked.keypoints[rows, :, 2].mean(axis=1))
