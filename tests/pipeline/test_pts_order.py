"""PtsReorder: a damaged decoder's frames back in presentation order, in a bounded window."""

import pytest

from ambientpose_desktop.pipeline.pts_order import PtsReorder


def _run(pts_seq, window):
    order = PtsReorder(window)
    out = []
    for pts in pts_seq:
        out += order.push(pts, pts)
    return out + order.flush(), order.dropped


def test_the_order_seen_after_damage_is_put_back():
    """Frames 85-88 of a damaged file carried timestamps 84, 88, 86, 85, 87."""
    seq = [*range(84), 84, 88, 86, 85, 87, *range(89, 120)]
    out, dropped = _run(seq, window=4)
    assert out == list(range(120)) and dropped == 0


def test_a_repeated_or_too_late_timestamp_is_dropped_and_counted():
    seq = [0, 1, 2, 3, 3, 4, 5, 6, 7, 8, 9, 1, 10]  # 3 twice; 1 comes back 9 frames late
    out, dropped = _run(seq, window=2)
    assert out == list(range(11)) and dropped == 2


def test_memory_stays_within_the_window():
    order = PtsReorder(3)
    released, held = [], 0
    for pts in range(1000, 0, -1):  # the worst case: every frame earlier than the last
        out = order.push(pts, pts)
        released += out
        held += 1 - len(out)
        assert held - order.dropped <= 3
    # 997 left when the fourth came; every frame after it was earlier, so had no place left
    assert released == [997] and order.dropped == 996
    assert order.flush() == [998, 999, 1000]


def test_frames_without_timestamps_pass_in_decoding_order():
    order = PtsReorder(4)
    assert order.push(5, "a") == [] and order.push(3, "b") == []
    assert order.push(None, "c") == ["b", "a", "c"]


def test_a_negative_window_is_refused():
    with pytest.raises(ValueError):
        PtsReorder(-1)
