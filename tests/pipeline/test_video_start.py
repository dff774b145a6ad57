"""``frames(start=…)``: decoding from any frame gives exactly the frames (pixels, timestamps,
numbers) of a decode from the beginning, on real clips and on long-GOP H.264 with B-frames."""

from __future__ import annotations

import numpy as np
import pytest

from ambientpose_desktop.pipeline.video import ImageFolderSource, open_source


def _decode(path, **kwargs):
    source = open_source(path)
    try:
        return list(source.frames(**kwargs))
    finally:
        source.close()


def _same(got, expected) -> bool:
    return len(got) == len(expected) and all(
        a[0] == b[0] and a[1] == b[1] and np.array_equal(a[2], b[2])
        for a, b in zip(got, expected, strict=True))


@pytest.fixture(scope="module")
def b_frame_video(tmp_path_factory):
    """120 frames, a keyframe every 50, B-frames: seeks land mid-GOP and meet reordering."""
    from tests.synthetic import make_video

    return make_video(tmp_path_factory.mktemp("seek") / "gop50.mp4", frames=120, width=384,
                      height=216, gop=50)


@pytest.mark.parametrize("clip", ["videos/openpose_video.avi",
                                  "videos/mmaction2_demo_skeleton.mp4", "synthetic"])
def test_start_is_exact(clip, media, b_frame_video):
    path = b_frame_video if clip == "synthetic" else media(clip)
    full = _decode(path)
    n = len(full)
    for start in (1, n // 3, n // 2 + 7, n - 1):  # mid-GOP, after a keyframe, the last frame
        assert _same(_decode(path, start=start, max_frames=start + 4), full[start:start + 4]), \
            f"start={start}"


def test_start_keeps_the_index_of_what_it_decoded(b_frame_video):
    source = open_source(b_frame_video)
    try:
        index = source.frame_index()
        got = list(source.frames(start=60))
    finally:
        source.close()
    assert [i for i, _, _ in got] == list(range(60, 120))
    assert list(source.decoded_pts) == list(index.pts[60:])


def test_start_past_the_end_yields_nothing(media):
    assert _decode(media("videos/mmpose_demo.mp4"), start=50) == []


def test_image_folder_start(media):
    folder = media("images")
    source = ImageFolderSource(folder)
    full = list(source.frames())
    assert _same(list(source.frames(start=2, max_frames=4)), full[2:4])
