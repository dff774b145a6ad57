import json

import numpy as np

from ambientpose_desktop.core.poses import FramePoses, Person
from ambientpose_desktop.core.results import (
    from_alphapose,
    read_alphapose,
    to_alphapose,
    to_coco_results,
    write_alphapose,
)


def _person(idx, offset=0.0):
    kp = np.arange(17 * 3, dtype=np.float32).reshape(17, 3) + offset
    kp[:, 2] = 0.5
    return Person(keypoints=kp, box=(1.0, 2.0, 30.0, 40.0), score=0.9, idx=idx)


def test_alphapose_layout_and_round_trip(tmp_path):
    frames = [FramePoses(0, 0.0, [_person(3)]), FramePoses(1, 0.2, []),
              FramePoses(2, 0.4, [_person(3, 1.0), _person(4)])]
    path = tmp_path / "pose.json"
    write_alphapose(path, frames)
    entries = json.loads(path.read_text())
    assert len(entries) == 3
    assert set(entries[0]) == {"image_id", "category_id", "keypoints", "score", "box", "idx"}
    assert entries[0]["image_id"] == "0.jpg" and entries[0]["category_id"] == 1
    assert len(entries[0]["keypoints"]) == 51
    back = read_alphapose(path, num_frames=4)
    assert [len(f.persons) for f in back] == [1, 0, 2, 0]
    assert back[2].persons[1].idx == 4
    np.testing.assert_allclose(back[2].persons[0].keypoints, frames[2].persons[0].keypoints)
    assert not list(tmp_path.glob("*.part"))


def test_image_folder_names_and_coco_conversion():
    frames = [FramePoses(0, 0.0, [_person(0)]), FramePoses(1, 0.0, [_person(1)])]
    names = ["000000000785.jpg", "000000040083.jpg"]
    entries = to_alphapose(frames, names)
    assert [e["image_id"] for e in entries] == names
    coco = to_coco_results(entries, {"000000000785.jpg": 785, "000000040083.jpg": 40083})
    assert [c["image_id"] for c in coco] == [785, 40083]
    assert coco[0]["bbox"] == [1.0, 2.0, 30.0, 40.0]
    assert [len(f.persons) for f in from_alphapose(entries, names=names)] == [1, 1]


def test_reads_alphapose_untracked_idx_lists():
    entry = {"image_id": "5.jpg", "category_id": 1, "keypoints": [0.0] * 51,
             "score": 1.0, "box": [0, 0, 1, 1], "idx": [2.0]}
    frames = from_alphapose([entry])
    assert len(frames) == 6 and frames[5].persons[0].idx == 2
