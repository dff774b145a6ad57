"""pose.npz: same people as pose.json, O(1) frame lookup, rebuilt when missing or stale."""

from __future__ import annotations

import json
import os

import numpy as np

from ambientpose_desktop.core.pose_table import PoseTable, load_task_table
from ambientpose_desktop.core.results import read_alphapose
from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.core.task_folder import POSE_TABLE


def test_worker_writes_table_equal_to_json(processed_task):
    summary = Summary.read(processed_task / "summary.json")
    assert POSE_TABLE in summary.outputs
    table = PoseTable.load(processed_task / POSE_TABLE)
    frames = read_alphapose(processed_task / "pose.json", num_frames=summary.frames_processed)
    assert table.num_frames == len(frames) == 60
    for frame in frames:
        people = table.persons(frame.index)
        assert [p.idx for p in people] == [p.idx for p in frame.persons]
        for a, b in zip(people, frame.persons, strict=True):
            np.testing.assert_allclose(a.keypoints, b.keypoints, atol=1e-3)
            np.testing.assert_allclose(a.box, b.box, atol=1e-2)


def test_missing_or_stale_table_is_rebuilt_from_json(processed_task, tmp_path):
    task = tmp_path / "task"
    task.mkdir()
    for name in ("pose.json", "summary.json"):
        (task / name).write_bytes((processed_task / name).read_bytes())
    summary = Summary.read(task / "summary.json")
    table = load_task_table(task, summary)
    assert (task / POSE_TABLE).exists()
    assert int(table.offsets[-1]) == summary.persons
    # pose.json edited after the table was written: the table must follow it
    entries = json.loads((task / "pose.json").read_text())
    (task / "pose.json").write_text(json.dumps(entries[:5]))
    later = (task / POSE_TABLE).stat().st_mtime + 10
    os.utime(task / "pose.json", (later, later))
    assert int(load_task_table(task, summary).offsets[-1]) == 5


def test_frame_of_row_and_counts():
    from ambientpose_desktop.core.poses import FramePoses, Person

    person = Person(keypoints=np.ones((17, 3)), box=(0, 0, 1, 1), score=1.0, idx=4)
    frames = [FramePoses(0, 0.0, [person, person]), FramePoses(1, 0.1),
              FramePoses(2, 0.2, [person])]
    table = PoseTable.from_frames(frames, 17)
    assert [table.count(i) for i in range(3)] == [2, 0, 1]
    assert table.frame_of_row().tolist() == [0, 0, 2]
    assert table.persons(1) == []


def test_rows_with_their_frames_make_a_table_with_boxes_of_the_points_there():
    keypoints = np.array([[[1, 2, 0.5], [5, 9, 0.5]], [[3, 3, 1], [np.nan, np.nan, 0]],
                          [[0, 0, 1], [4, 4, 1]]], np.float32)
    table = PoseTable.from_rows(np.array([3, 1, 3]), keypoints, np.array([0.1, 0.2, 0.3]),
                                np.array([5, 6, 7]), num_frames=5)
    assert table.offsets.tolist() == [0, 0, 1, 1, 3, 3]
    assert table.idx.tolist() == [6, 5, 7]  # by frame, in their order within a frame
    np.testing.assert_allclose(table.boxes, [[3, 3, 0, 0], [1, 2, 4, 7], [0, 0, 4, 4]])
    np.testing.assert_allclose(table.scores, [0.2, 0.1, 0.3])
