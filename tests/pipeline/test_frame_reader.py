"""FrameReader returns exactly the frame asked for, on long-GOP 1080p H.264 and real media."""

from __future__ import annotations

import hashlib
import random

import pytest

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.pipeline.frame_reader import FrameReader


def _hashes(path) -> list[str]:
    import av

    with av.open(str(path)) as container:
        return [hashlib.sha1(f.to_ndarray(format="rgb24").tobytes()).hexdigest()
                for f in container.decode(video=0)]


def _digest(image) -> str:
    return hashlib.sha1(image.tobytes()).hexdigest()


def test_random_seeks_and_steps_match_sequential_decode(long_gop_video):
    expected = _hashes(long_gop_video)
    # a small cache forces real seeks, not cache hits
    with FrameReader(long_gop_video, cache_bytes=8 * 2**20) as reader:
        assert len(reader) == len(expected) == 260
        assert reader.index.keyframes == (0, 250)
        order = random.Random(3).sample(range(len(reader)), 30) + [259, 249, 250]
        for i in order:
            assert _digest(reader.frame(i)) == expected[i], f"frame {i}"
        seeks = reader.stats["seeks"]
        for i in range(120, 130):  # stepping forward decodes on, without seeking
            assert _digest(reader.frame(i)) == expected[i]
        assert reader.stats["seeks"] <= seeks + 1
        for i in range(129, 124, -1):  # stepping back inside the cache
            assert _digest(reader.frame(i)) == expected[i]


def test_real_media_with_audio_and_vfr(media):
    for name in ("videos/openpose_video.avi", "videos/mmaction2_demo_skeleton.mp4"):
        path = media(name)
        expected = _hashes(path)
        with FrameReader(path) as reader:
            assert len(reader) == len(expected)
            for i in random.Random(5).sample(range(len(reader)), 12):
                assert _digest(reader.frame(i)) == expected[i]


def test_prefetch_fills_ahead_and_bounds(long_gop_video):
    with FrameReader(long_gop_video) as reader:
        reader.frame(10)
        while reader.prefetch(10, 15):
            pass
        assert all(reader.cached(i) for i in range(10, 16))
        assert not reader.cached(16)
        assert not reader.can_prefetch(40, 60)  # the decoder is far from there
        with pytest.raises(IndexError):
            reader.frame(len(reader))


def test_not_a_video_is_a_clear_error(tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    with pytest.raises(InputError, match="cannot be opened"):
        FrameReader(bad)


def test_target_skipped_while_catching_up_is_decoded_again(long_gop_video, monkeypatch):
    import ambientpose_desktop.pipeline.frame_reader as frame_reader

    expected = _hashes(long_gop_video)
    # skip non-reference frames right up to the target, so B-frame targets get skipped
    monkeypatch.setattr(frame_reader, "_EXACT_WINDOW", -1000)
    with FrameReader(long_gop_video, cache_bytes=1) as reader:
        for i in (101, 39, 38, 37):  # backwards: every one is a seek
            assert _digest(reader.frame(i)) == expected[i]
        assert reader.stats["seeks"] > 4  # at least one target was skipped and redone


def test_fill_decodes_a_range_exactly_and_keeps_no_passing_frames(long_gop_video):
    expected = _hashes(long_gop_video)
    with FrameReader(long_gop_video) as reader:
        reader.fill(200, 223)
        assert all(reader.cached(i) for i in range(200, 224))
        assert not reader.cached(100)  # passed on the way from the keyframe, not kept
        for i in range(223, 199, -1):
            assert _digest(reader.frame(i)) == expected[i], f"frame {i}"
        hits = reader.stats["hits"]
        assert hits >= 24 and reader.stats["seeks"] == 1  # every frame from the cache
        reader.fill(248, 252)  # across a keyframe
        for i in range(248, 253):
            assert reader.cached(i) and _digest(reader.frame(i)) == expected[i]


def test_fill_keeps_the_frames_just_before_the_range_without_holes(long_gop_video):
    """The frames kept just before a filled range (the next steps back) are every one of
    them: skipping non-reference frames on the way stops early enough that none of those
    is missing (holes there made each step back seek to the keyframe again)."""
    from ambientpose_desktop.pipeline.frame_reader import _EXACT_WINDOW

    expected = _hashes(long_gop_video)
    with FrameReader(long_gop_video) as reader:
        reader.fill(200, 223)
        before = range(200 - _EXACT_WINDOW, 200)
        assert [i for i in before if not reader.cached(i)] == []
        seeks = reader.stats["seeks"]
        for i in reversed(before):
            assert _digest(reader.frame(i)) == expected[i], f"frame {i}"
        assert reader.stats["seeks"] == seeks


def test_interrupted_decode_keeps_its_place(long_gop_video):
    from ambientpose_desktop.pipeline.frame_reader import DecodeInterrupted

    expected = _hashes(long_gop_video)
    with FrameReader(long_gop_video) as reader:
        calls = []

        def after_40_frames() -> bool:
            calls.append(1)
            return len(calls) > 40

        with pytest.raises(DecodeInterrupted):
            reader.frame(240, interrupt=after_40_frames)
        assert not reader.cached(240)
        seeks = reader.stats["seeks"]
        # a later frame of the same GOP goes on from where the decoder stopped
        assert reader.cost(180) < 180
        assert _digest(reader.frame(180)) == expected[180]
        assert reader.stats["seeks"] == seeks
        assert _digest(reader.frame(240)) == expected[240]
        assert _digest(reader.frame(30)) == expected[30]  # behind it: a seek, still exact
