"""Pose NMS: copies of one person's pose become one; people who overlap stay apart."""

from __future__ import annotations

import time

import numpy as np

from ambientpose_desktop.core.keypoints import COCO_17
from ambientpose_desktop.core.poses import Person
from ambientpose_desktop.pipeline.frame_stages import FrameResult
from ambientpose_desktop.pipeline.pose_nms import (
    DUPLICATE_OKS,
    PoseNmsStage,
    oks_matrix,
    pose_nms,
    same_frame_duplicates,
)

# A standing person, keypoints in pixels: head on top, ankles at the bottom of a 100x300 box.
_STANDING = np.array([[50, 20], [55, 15], [45, 15], [60, 18], [40, 18], [70, 60], [30, 60],
                      [78, 110], [22, 110], [80, 150], [20, 150], [62, 160], [38, 160],
                      [63, 225], [37, 225], [64, 290], [36, 290]], np.float32)


def _person(dx: float = 0.0, dy: float = 0.0, score: float = 0.9, kp_score: float = 0.9,
            jitter: float = 0.0, seed: int = 0) -> Person:
    rng = np.random.default_rng(seed)
    xy = _STANDING + [dx, dy] + rng.normal(0, jitter, _STANDING.shape)
    keypoints = np.concatenate([xy, np.full((17, 1), kp_score)], 1)
    return Person(keypoints=keypoints, box=(dx, dy, 100.0, 300.0), score=score)


def test_a_shifted_copy_of_one_pose_is_one_person():
    people = pose_nms([_person(score=0.6), _person(dx=3, dy=2, score=0.9, jitter=2)], COCO_17)
    assert len(people) == 1
    assert people[0].score == 0.9  # the stronger stays


def test_merged_keypoints_are_the_score_weighted_mean():
    weak = _person(kp_score=0.3 + 1e-3, score=0.8)
    strong = _person(dx=4, score=0.9, kp_score=0.9)
    (kept,) = pose_nms([weak, strong], COCO_17)
    expected_x = (_STANDING[:, 0] * 0.301 + (_STANDING[:, 0] + 4) * 0.9) / 1.201
    assert np.allclose(kept.keypoints[:, 0], expected_x, atol=1e-3)
    assert np.allclose(kept.keypoints[:, 2], 0.9)


def test_dropping_instead_of_merging_keeps_the_strongest_as_it_was():
    strong = _person(dx=4, score=0.9)
    before = strong.keypoints.copy()
    (kept,) = pose_nms([_person(score=0.5), strong], COCO_17, merge=False)
    assert kept is strong and np.array_equal(kept.keypoints, before)


def test_people_side_by_side_or_overlapping_stay_apart():
    hug = [_person(), _person(dx=45, score=0.8)]  # boxes overlap by more than half
    apart = [_person(), _person(dx=300)]
    assert len(pose_nms(hug, COCO_17)) == 2
    assert len(pose_nms(apart, COCO_17)) == 2


def test_poses_sharing_under_three_seen_keypoints_say_nothing():
    hidden = _person(dx=2)
    hidden.keypoints[2:, 2] = 0.05  # only the nose and one eye seen
    assert oks_matrix(np.stack([_person().keypoints, hidden.keypoints]),
                      np.array([[0, 0, 100, 300]] * 2, np.float32),
                      np.array(COCO_17.sigmas))[0, 1] == 0.0
    assert len(pose_nms([_person(), hidden], COCO_17)) == 2


def test_three_copies_and_a_stranger():
    frame = [_person(dx=2, score=0.7), _person(score=0.95), _person(dx=600, score=0.5),
             _person(dx=-2, dy=2, score=0.8)]
    kept = pose_nms(frame, COCO_17)
    assert [p.score for p in kept] == [0.95, 0.5]  # in the order the backend gave them


def test_duplicates_counted_per_frame():
    keypoints = np.stack([_person().keypoints, _person(dx=2).keypoints, _person(dx=400).keypoints,
                          _person().keypoints])
    boxes = np.array([p.box for p in (_person(), _person(dx=2), _person(dx=400), _person())],
                     np.float32)
    offsets = np.array([0, 3, 4])  # frame 0: three people, two of them copies; frame 1: one
    pairs = same_frame_duplicates(keypoints, boxes, offsets, COCO_17, DUPLICATE_OKS)
    assert [(a, b) for a, b, _ in pairs] == [(0, 1)]
    assert pairs[0][2] > 0.95


def test_stage_applies_nms_per_frame_and_is_cheap():
    stage = PoseNmsStage(COCO_17)
    image = np.zeros((8, 8, 3), np.uint8)
    frames = [[_person(dx=i, score=0.6), _person(dx=i + 2, score=0.9), _person(dx=i + 500)]
              for i in range(200)]
    started = time.perf_counter()
    out = [stage.feed(FrameResult(i, i / 30, image, people))[0]
           for i, people in enumerate(frames)]
    per_frame = (time.perf_counter() - started) / len(frames)
    assert stage.flush() == []
    assert all(len(item.persons) == 2 for item in out)
    assert per_frame < 0.005  # measured ~0.1 ms; a loose bound for a loaded machine
