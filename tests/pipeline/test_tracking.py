"""Track ids: stable across frames whatever the detection order, on every person."""

from __future__ import annotations

import numpy as np

from ambientpose_desktop.core.poses import Person
from ambientpose_desktop.pipeline.tracking import PoseTracker


def _person(x: float, y: float = 100.0, score: float = 0.9) -> Person:
    return Person(keypoints=np.zeros((17, 3)), box=(x, y, 60.0, 160.0), score=score)


def test_ids_follow_people_not_list_order():
    tracker = PoseTracker(fps=25)
    frames = []
    for t in range(40):
        people = [_person(50 + 3 * t), _person(400 - 3 * t, 120)]
        if t % 2:
            people.reverse()  # backends give no order guarantee
        frames.append(tracker.update(people, t / 25))
    tracker.finish()
    left = {p.idx for f in frames for p in f if p.box[1] == 100.0}
    right = {p.idx for f in frames for p in f if p.box[1] == 120.0}
    assert left == {1} and right == {2}


def test_every_person_gets_an_id_even_in_one_frame():
    tracker = PoseTracker(fps=30)
    first = tracker.update([_person(10)], 0.0)
    flash = tracker.update([_person(10), _person(600, score=0.3)], 1 / 30)
    tracker.update([_person(10)], 2 / 30)
    tracker.finish()
    assert first[0].idx == flash[0].idx == 1
    assert flash[1].idx not in (-1, 1)


def test_person_missed_for_a_few_frames_keeps_the_id():
    tracker = PoseTracker(fps=30)
    seen = []
    for t in range(30):
        people = [] if 10 <= t < 15 else [_person(100 + 2 * t)]
        seen += tracker.update(people, t / 30)
    tracker.finish()
    assert {p.idx for p in seen} == {1}
