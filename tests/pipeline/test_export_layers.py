"""Exports write the edited layer by default, exactly linked + edits; `--layer linked` the
results without the edits."""

from __future__ import annotations

import json
import shutil

import pytest

from ambientpose_desktop.core import edits
from ambientpose_desktop.core.layers import Layer, available_layers, load_layer, open_edits
from ambientpose_desktop.core.results import write_alphapose
from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.pipeline.export import export_task
from tests.conftest import folder_digest
from tests.core.edit_reference import from_frames, replay, to_frames


@pytest.fixture
def edited(task_copy):
    """The task with a few edits of every kind, and the ops made."""
    session = open_edits(task_copy, Summary.read(task_copy / "summary.json"))
    ids = session.table.identities()
    a, b = ids[0], ids[1]
    frame = int(session.table.frames_of(a)[5])
    ops = [edits.Swap(a, b, 20), session.split_op(a, 40), edits.DeleteDetection(frame, a),
           edits.MoveKeypoint(frame + 1, a, 0, 100.0, 200.0),
           edits.HideKeypoint(frame + 1, a, 5), edits.DeleteIdentity(ids[-1])]
    for op in ops:
        session.apply(op)
    return task_copy, ops


def reference_folder(task, ops, where):
    """A task folder whose linked layer is what replaying ``ops`` by hand gives."""
    summary = Summary.read(task / "summary.json")
    linked = load_layer(task, summary, Layer.LINKED)
    folder = shutil.copytree(task, where)
    (folder / "edits.json").unlink()
    table = from_frames(replay(to_frames(linked), ops), linked.num_keypoints)
    files = TaskFolder(folder)
    write_alphapose(files.pose_json, table.frames(), summary.source.image_names)
    table.save(files.pose_table)
    return folder


def test_the_edited_layer_is_the_default(edited):
    task, _ = edited
    assert available_layers(task) == [Layer.RAW, Layer.LINKED, Layer.EDITED]


@pytest.mark.parametrize("fmt, name", [("alphapose", "a.json"), ("coco", "c.json"),
                                       ("csv", "p.csv")])
def test_json_and_csv_exports_are_linked_plus_edits(edited, tmp_path, fmt, name):
    task, ops = edited
    before = folder_digest(task)
    reference = reference_folder(task, ops, tmp_path / "reference")
    mine = export_task(task, fmt, tmp_path / name)
    theirs = export_task(reference, fmt, tmp_path / f"ref-{name}")
    assert mine.read_bytes() == theirs.read_bytes()
    linked = export_task(task, fmt, tmp_path / f"linked-{name}", layer="linked")
    original = export_task(task, fmt, tmp_path / f"orig-{name}", layer=Layer.LINKED)
    assert linked.read_bytes() == original.read_bytes() != mine.read_bytes()
    if fmt == "alphapose":
        assert json.loads(linked.read_text()) == json.loads((task / "pose.json").read_text())
    assert folder_digest(task) == before  # exports never touch the task's results


def test_rendered_exports_are_linked_plus_edits(edited, tmp_path):
    """frames-jpeg; overlay-video is drawn by the same function from the same table."""
    task, ops = edited
    reference = reference_folder(task, ops, tmp_path / "reference")
    mine = export_task(task, "frames-jpeg", tmp_path / "mine")
    theirs = export_task(reference, "frames-jpeg", tmp_path / "theirs")
    assert folder_digest(mine) == folder_digest(theirs)
