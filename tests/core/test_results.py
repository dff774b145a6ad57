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


def test_coco_image_ids_from_names_or_annotations():
    import pytest

    from ambientpose_desktop.core.results import coco_image_ids

    assert coco_image_ids(["000000397133.jpg", "COCO_val2014_000000000192.jpg"]) == {
        "000000397133.jpg": 397133, "COCO_val2014_000000000192.jpg": 192}
    # not COCO-style, or one id twice: each image's position in the folder
    assert coco_image_ids(["a.jpg", "000000000001.jpg"]) == {"a.jpg": 0, "000000000001.jpg": 1}
    assert coco_image_ids(["1.jpg", "001.png"]) == {"1.jpg": 0, "001.png": 1}
    gt = {"images": [{"id": 7, "file_name": "sub/a.jpg"}, {"id": 9, "file_name": "b.jpg"}]}
    assert coco_image_ids(["a.jpg", "b.jpg"], gt) == {"a.jpg": 7, "b.jpg": 9}
    with pytest.raises(KeyError, match="1 of 2 images are not in the annotations"):
        coco_image_ids(["a.jpg", "c.jpg"], gt)


def test_text_numbers_are_rounded_and_dropped_points_are_zero():
    from ambientpose_desktop.core.results import keypoints_for_json, rounded

    assert rounded(np.float32([0.996, 1 / 3]), 4) == [0.996, 0.3333]
    kp = np.array([[1.23456, 2.0, 0.5], [np.nan, np.nan, 0.0]], np.float32)
    assert keypoints_for_json(kp) == [1.2346, 2.0, 0.5, 0.0, 0.0, 0.0]
