"""The decoder thread hands the model batches and always ends (hardening 1)."""

from __future__ import annotations

import threading

import pytest

from ambientpose_desktop.pipeline.frame_feed import FrameFeed
from ambientpose_desktop.pipeline.video import open_source


def test_batches_cover_every_frame_then_end(media):
    source = open_source(media("videos/mmpose_demo.mp4"))
    feed = FrameFeed(source, None, threading.Event())
    feed.start()
    seen, end = [], None
    while end is None:
        batch, end = feed.next_batch(2)
        seen += [frame.index for frame in batch]
        assert all(frame.scaled is None for frame in batch)  # no prescaler given
    feed.join()
    source.close()
    assert seen == [0, 1, 2, 3, 4] and end is True


@pytest.mark.parametrize("size", [0, -5])
def test_an_empty_batch_size_is_refused_instead_of_spinning(media, size):
    source = open_source(media("videos/mmpose_demo.mp4"))
    stop = threading.Event()
    feed = FrameFeed(source, None, stop)
    with pytest.raises(ValueError, match="at least one frame"):
        feed.next_batch(size)
    stop.set()
    source.close()
