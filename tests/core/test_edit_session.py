"""The edit file: saved at once, versioned, nothing lost by undo or revert, reopened as left."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ambientpose_desktop.core import edits
from ambientpose_desktop.core.edit_session import EditSession
from ambientpose_desktop.core.edited_table import EditRefused
from ambientpose_desktop.core.errors import InputError
from tests.core.edit_reference import make_table, replay, same, to_frames

PRESENCE = {1: range(0, 20), 2: range(25, 60), 3: range(0, 60)}


@pytest.fixture
def linked():
    return make_table(PRESENCE, 60)


def test_each_edit_is_saved_and_reopens_as_left(tmp_path, linked):
    path = tmp_path / "edits.json"
    session = EditSession(path, linked)
    ops = [edits.Merge(2, 1), session.split_op(3, 30), edits.Rename(1, "child A"),
           edits.MoveKeypoint(5, 1, 1, 3.5, 4.5)]
    for n, op in enumerate(ops, 1):
        session.apply(op)
        data = json.loads(path.read_text())
        assert data["revision"] == n and len(data["ops"]) == n
        assert [p.name for p in tmp_path.iterdir()] == ["edits.json"]  # no temporary left
    assert ops[1] == edits.Split(3, 30, 4)
    again = EditSession(path, linked)
    assert again.ops == ops and not again.skipped
    assert same(again.table.to_table(), replay(to_frames(linked), ops))
    assert again.table.names == {1: "child A"}


def test_undo_and_revert_keep_everything_in_the_file(tmp_path, linked):
    path = tmp_path / "edits.json"
    session = EditSession(path, linked)
    for op in (edits.Merge(2, 1), edits.DeleteIdentity(3, 5, 9), edits.Rename(3, "x")):
        session.apply(op)
    session.undo()
    assert session.ops == [edits.Merge(2, 1), edits.DeleteIdentity(3, 5, 9)]
    taken = session.revert()
    assert [e.op for e in taken] == [edits.Merge(2, 1), edits.DeleteIdentity(3, 5, 9)]
    assert session.ops == [] and same(session.table.to_table(), to_frames(linked))
    data = json.loads(path.read_text())
    assert data["ops"] == [] and data["revision"] == 5
    assert [(d["why"], [o["op"] for o in d["ops"]]) for d in data["dropped"]] == [
        ("undo", ["rename"]), ("revert", ["merge", "delete-identity"])]
    session.reapply([e.op for e in taken])
    reopened = EditSession(path, linked)
    assert reopened.ops == [edits.Merge(2, 1), edits.DeleteIdentity(3, 5, 9)]
    assert len(reopened.log.dropped) == 2
    with pytest.raises(EditRefused, match="no edit to undo"):
        EditSession(tmp_path / "other.json", linked).undo()


def test_a_second_writer_is_noticed_not_overwritten(tmp_path, linked):
    path = tmp_path / "edits.json"
    viewer, cli = EditSession(path, linked), EditSession(path, linked)
    viewer.apply(edits.Merge(2, 1))
    with pytest.raises(edits.EditConflict, match="changed elsewhere"):
        cli.apply(edits.Rename(3, "teacher"))
    assert cli.ops == [] and cli.table.names == {}  # its edit was taken back, not half kept
    assert EditSession(path, linked).ops == [edits.Merge(2, 1)]


def test_operations_that_no_longer_fit_are_kept_and_skipped(tmp_path, linked):
    path = tmp_path / "edits.json"
    session = EditSession(path, linked)
    session.apply(edits.Merge(2, 1))
    session.apply(edits.Rename(3, "teacher"))
    other = make_table({1: range(0, 30), 2: range(20, 60), 3: range(0, 60)}, 60)  # made again
    reopened = EditSession(path, other)
    assert [e.op for e, _ in reopened.skipped] == [edits.Merge(2, 1)]
    assert "both in frame 20" in reopened.skipped[0][1]
    assert reopened.table.names == {3: "teacher"}
    reopened.undo()  # the rename
    reopened.undo()  # the skipped merge: it leaves the log, the table had nothing to undo
    assert reopened.ops == [] and same(reopened.table.to_table(), to_frames(other))


def test_promote_reads_the_raw_layer_only_when_needed(tmp_path, linked):
    raw = make_table({1: range(0, 60), 9: range(10, 50)}, 60, seed=5)
    loads = []

    def load_raw():
        loads.append(1)
        return raw

    path = tmp_path / "edits.json"
    session = EditSession(path, linked, load_raw)
    session.apply(edits.Merge(2, 1))
    assert loads == []
    index = int(np.flatnonzero(raw.idx[raw.rows(12)] == 9)[0])
    op = session.promote_op(12, index)
    assert op == edits.Promote(12, index, 4)
    session.apply(op)
    assert loads == [1]
    reopened = EditSession(path, linked, load_raw)
    assert same(reopened.table.to_table(),
                replay(to_frames(linked), [edits.Merge(2, 1), op], raw))
    without_raw = EditSession(path, linked)
    assert [e.op for e, _ in without_raw.skipped] == [op]


@pytest.mark.parametrize("text, why", [
    ("{not json", "cannot be read"),
    ('{"format": "other"}', "not an AmbientPose edit file"),
    ('{"format": "ambientpose-edits", "version": 9}', "has version 9"),
    ('{"format": "ambientpose-edits", "version": 1, "ops": [{"op": "explode"}]}',
     "operation 1: unknown operation"),
    ('{"format": "ambientpose-edits", "version": 1, "ops": [{"op": "merge", "source": 1}]}',
     "merge needs 'into'"),
    ('{"format": "ambientpose-edits", "version": 1, "ops": '
     '[{"op": "move-keypoint", "frame": 1, "identity": 1, "keypoint": 0, "x": NaN, "y": 0}]}',
     "x must be a finite number"),
    ('{"format": "ambientpose-edits", "version": 1, "ops": '
     '[{"op": "split", "identity": 1, "frame": 2.5, "new_identity": 4}]}',
     "frame must be a whole number"),
])
def test_a_damaged_file_is_refused_in_one_line_and_left_alone(tmp_path, linked, text, why):
    path = tmp_path / "edits.json"
    path.write_text(text)
    with pytest.raises(InputError, match=why):
        EditSession(path, linked)
    assert path.read_text() == text


def test_an_edit_that_cannot_be_saved_is_not_made(tmp_path, linked):
    from ambientpose_desktop.core.errors import OutputError

    path = tmp_path / "edits.json"
    path.mkdir()  # in the way: the file cannot be written
    session = EditSession(path, linked)
    with pytest.raises(OutputError, match="cannot save the edits"):
        session.apply(edits.Merge(2, 1))
    assert session.ops == [] and same(session.table.to_table(), to_frames(linked))
    assert not session.table.applied


def test_promote_from_the_raw_layer_a_worker_wrote(task_copy):
    """The raw layer of a real run (``core.raw_layer``, with its extra columns) is what a
    promoted detection is taken from."""
    from ambientpose_desktop.core.layers import open_edits
    from ambientpose_desktop.core.raw_layer import RawLayer
    from ambientpose_desktop.core.summary import Summary

    raw = RawLayer.load(task_copy / "pose_raw.npz").table
    frame = max(range(raw.num_frames), key=raw.count)
    session = open_edits(task_copy, Summary.read(task_copy / "summary.json"))
    op = session.promote_op(frame, raw.count(frame) - 1)
    session.apply(op)
    person = next(p for p in session.table.persons(frame) if p.idx == op.identity)
    assert np.array_equal(person.keypoints, raw.keypoints[raw.rows(frame).stop - 1])
    reopened = open_edits(task_copy, Summary.read(task_copy / "summary.json"))
    assert reopened.ops == [op] and not reopened.skipped
