"""Appearance descriptors: what a person wears, read where the keypoints are."""

from __future__ import annotations

import time

import numpy as np
import pytest

from ambientpose_desktop.core.keypoints import COCO_17
from ambientpose_desktop.core.poses import Person
from ambientpose_desktop.pipeline.appearance import (
    DESCRIPTOR_SIZE,
    PART_BINS,
    PARTS,
    AppearanceSink,
    Sampler,
    appearance_distance,
    describe,
)
from ambientpose_desktop.pipeline.frame_stages import FrameResult
from tests.pipeline.test_pose_nms import _STANDING


def _person(x: float, y: float, scale: float = 1.0) -> Person:
    keypoints = np.concatenate([_STANDING * scale + [x, y], np.full((17, 1), 0.9)], 1)
    return Person(keypoints=keypoints, box=(x, y, 100 * scale, 300 * scale), score=0.9)


def _dressed(shirt, trousers, height=1080, width=1920, people=((400, 300),), scale=2.0):
    """A grey frame with each person's shirt and trousers painted where their body is."""
    image = np.full((height, width, 3), 128, np.uint8)
    for x, y in people:
        top, hip, bottom = (int(y + v * scale) for v in (55, 160, 300))
        left, right = int(x + 15 * scale), int(x + 85 * scale)
        image[top:hip, left:right] = shirt
        image[hip:bottom, left:right] = trousers
    return image


def test_shape_and_parts_sum_to_one():
    people = [_person(400, 300, 2.0), _person(1200, 300, 2.0)]
    out = describe(_dressed((200, 30, 30), (20, 20, 20), people=((400, 300), (1200, 300))),
                   people, Sampler(COCO_17))
    assert out.shape == (2, DESCRIPTOR_SIZE) and out.dtype == np.float32
    sums = out.reshape(2, len(PARTS), PART_BINS).sum(-1)
    assert np.allclose(sums, 1.0, atol=1e-5)


def test_same_clothes_near_different_clothes_far():
    sampler = Sampler(COCO_17)
    red = describe(_dressed((200, 30, 30), (30, 30, 150)), [_person(400, 300, 2.0)], sampler)
    red_again = describe(_dressed((190, 40, 25), (35, 30, 140), people=((900, 350),)),
                         [_person(900, 350, 2.0)], sampler)
    green = describe(_dressed((30, 170, 40), (30, 30, 150)), [_person(400, 300, 2.0)], sampler)
    black = describe(_dressed((25, 25, 25), (30, 30, 150)), [_person(400, 300, 2.0)], sampler)
    grey = describe(_dressed((90, 90, 90), (30, 30, 150)), [_person(400, 300, 2.0)], sampler)
    assert appearance_distance(red, red_again)[0] < 0.15
    assert appearance_distance(red, green)[0] > 0.3
    assert appearance_distance(black, grey)[0] > 0.2  # dark grey is not black


def test_parts_not_seen_are_empty_and_ignored():
    person = _person(400, 300, 2.0)
    person.keypoints[11:, 2] = 0.0  # hips and legs unseen
    out = describe(_dressed((200, 30, 30), (20, 20, 20)), [person], Sampler(COCO_17))
    parts = out.reshape(len(PARTS), PART_BINS).sum(-1)
    assert dict(zip(PARTS, parts.round(3), strict=True)) == {
        "head": 1.0, "torso": 0.0, "arms": 1.0, "thighs": 0.0, "shins": 0.0}
    legs_only = np.zeros(DESCRIPTOR_SIZE, np.float32)
    legs_only[4 * PART_BINS] = 1.0
    assert np.isnan(appearance_distance(out[0], legs_only))  # nothing shared: no opinion


def test_people_at_the_edge_of_the_frame_are_read_where_they_are_inside():
    out = describe(_dressed((200, 30, 30), (20, 20, 20)), [_person(-150, 300, 2.0)],
                   Sampler(COCO_17))
    assert np.isfinite(out).all()


def test_sink_keeps_table_order_and_costs_little_on_1080p():
    sink = AppearanceSink(COCO_17)
    image = _dressed((200, 30, 30), (20, 20, 20), people=((200, 300), (800, 300), (1400, 300)))
    people = [_person(x, 300, 2.0) for x in (200, 800, 1400)]
    started = time.perf_counter()
    for i in range(50):
        sink.add(FrameResult(i, i / 30, image, people if i % 2 else people[:1]))
    per_person = (time.perf_counter() - started) / (25 * 3 + 25)
    built = sink.build()
    assert built.shape == (100, DESCRIPTOR_SIZE) and built.dtype == np.float16
    assert per_person < 0.005  # measured ~0.2 ms a person; loose for a loaded machine
    assert AppearanceSink(COCO_17).build().shape == (0, DESCRIPTOR_SIZE)


@pytest.mark.parametrize("name", ["halpe26", "halpe136"])
def test_other_formats_read_the_same_body_parts(name):
    from ambientpose_desktop.core.keypoints import get_format

    fmt = get_format(name)
    person = _person(400, 300, 2.0)
    keypoints = np.zeros((fmt.num_keypoints, 3), np.float32)
    keypoints[:17] = person.keypoints
    person.keypoints = keypoints
    out = describe(_dressed((200, 30, 30), (20, 20, 20)), [person], Sampler(fmt))
    coco = describe(_dressed((200, 30, 30), (20, 20, 20)), [_person(400, 300, 2.0)],
                    Sampler(COCO_17))
    assert np.allclose(out, coco)
