"""The comparison behind ``ambientpose check-alphapose``."""

from ambientpose_desktop.core.agreement import compare


def _entry(frame: int, x: float, score: float = 2.0, kp_score: float = 0.9, k: int = 17):
    keypoints = []
    for j in range(k):
        keypoints += [x + j, 10.0 + j, kp_score]
    return {"image_id": f"{frame}.jpg", "category_id": 1, "keypoints": keypoints,
            "score": score, "box": [x, 10, 20, 40], "idx": 0}


def test_same_people_listed_in_another_order_agree():
    ours = [_entry(0, 100), _entry(0, 300), _entry(1, 110)]
    theirs = [_entry(0, 300.4), _entry(0, 100), _entry(1, 110, score=2.0005)]
    result = compare(ours, theirs)
    assert result.ok and result.frames == 2 and result.people == 3
    assert abs(result.max_keypoint_px - 0.4) < 1e-9
    assert "AGREE" in result.report()


def test_a_keypoint_off_by_more_than_a_pixel_disagrees():
    result = compare([_entry(0, 100)], [_entry(0, 101.5)])
    assert not result.ok and abs(result.max_keypoint_px - 1.5) < 1e-9


def test_scores_must_match_to_a_thousandth():
    assert not compare([_entry(0, 100, score=2.0)], [_entry(0, 100, score=2.01)]).ok
    assert not compare([_entry(0, 100, kp_score=0.9)], [_entry(0, 100, kp_score=0.91)]).ok


def test_a_missing_person_or_frame_is_reported_by_frame():
    result = compare([_entry(0, 100), _entry(0, 300)], [_entry(0, 100), _entry(2, 5)])
    assert not result.ok
    assert result.count_mismatches == [(0, 2, 1), (2, 0, 1)]
    assert "frame 0: 2 people vs 1" in result.report()


def test_different_keypoint_formats_disagree():
    assert not compare([_entry(0, 100, k=26)], [_entry(0, 100, k=17)]).ok
