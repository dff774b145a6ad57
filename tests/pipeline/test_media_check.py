"""The integrity check on real media and on broken copies of it made at test time."""

from __future__ import annotations

import pytest

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.media_check import MediaCheck
from ambientpose_desktop.pipeline.media_check import CheckStopped, check_media
from tests.media_variants import top_boxes

# Frame counts measured by decoding every frame (shared/media/MANIFEST.md).
GOOD = [("videos/openpose_video.avi", 205), ("videos/mmaction2_demo_skeleton.mp4", 72),
        ("videos/mmpose_demo.mp4", 5)]


def decoded_times(path, threads: str = "AUTO") -> list[float]:
    """Presentation times of every frame plain PyAV decoding gives, packets it refuses
    skipped."""
    import av

    times = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = threads
        for packet in container.demux(stream):
            try:
                times += [frame.time for frame in packet.decode()]
            except av.error.InvalidDataError:
                continue
    return times


@pytest.mark.parametrize(("name", "frames"), GOOD)
def test_good_videos_are_ok_with_exact_counts(media, name, frames):
    path = media(name)
    times = sorted(decoded_times(path))
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    for quick in (True, False):
        check = check_media(path, quick=quick)
        assert check.ok and not check.problems and check.quick is quick
        assert check.frames == frames == len(times)
        assert check.codec == "h264" and check.damaged_from_frame is None
        assert check.min_interval_s == pytest.approx(min(gaps), abs=1e-5)
        assert check.max_interval_s == pytest.approx(max(gaps), abs=1e-5)


def test_one_gap_is_variable_frame_rate_but_ok(media):
    # The hug clip runs at 30 fps with one 6-frame gap (MANIFEST): it reads, with a warning.
    check = check_media(media("videos/mmaction2_demo_skeleton.mp4"))
    assert check.ok and check.vfr and check.badge == "warning"
    assert check.max_interval_s == pytest.approx(6 / 30, abs=1e-4)
    assert any("variable frame rate" in w for w in check.warnings)


def test_recording_cut_before_its_index(media_variants):
    check = check_media(media_variants["index_missing"])
    assert check.index_missing and not check.ok and check.unreadable
    assert "finalised" in check.problems[0] and "not a video" not in check.message


def test_file_cut_in_the_middle(media_variants, media):
    path = media_variants["cut_short"]
    quick = check_media(path, quick=True)
    assert not quick.ok and not quick.index_missing
    assert "cut short" in quick.problems[0] and "of the 205 frames" in quick.problems[0]
    full = check_media(path)
    # The frames that decode on one thread, as plain PyAV gives them.
    assert full.frames == len(decoded_times(path, "NONE")) < 205
    assert full.damaged_from_frame is not None and full.damaged_from_frame <= full.frames
    assert not full.unreadable  # the first half can be processed


def test_damage_inside_the_packets_shows_only_when_decoding(media_variants):
    import av

    path = media_variants["damaged"]
    quick = check_media(path, quick=True)
    assert quick.ok and quick.frames == 205  # the container is whole
    full = check_media(path)
    assert not full.ok and full.badge == "damaged" and not full.unreadable
    assert full.frames == len(decoded_times(path, "NONE"))
    # The frame whose packet holds the overwritten bytes (media_variants.damage_middle).
    offset, size = top_boxes(path.read_bytes())[b"mdat"]
    middle = offset + size // 2
    with av.open(str(path)) as container:
        packets = [p for p in container.demux(video=0) if p.size]
        hit = next(p for p in packets if p.pos <= middle < p.pos + p.size)
        hit_frame = sorted(p.pts for p in packets).index(hit.pts)
    # Damage shows at that frame, or a few frames before it in presentation order (B-frames
    # shown earlier that refer to it); never before the keyframe of its GOP.
    assert hit_frame - 4 <= full.damaged_from_frame <= hit_frame
    assert f"damaged from frame {full.damaged_from_frame}" in full.problems[0]
    assert check_media(path).to_dict() == full.to_dict()  # the same findings every time


def test_uneven_timestamps_are_variable_frame_rate(media_variants):
    check = check_media(media_variants["vfr"])
    assert check.ok and check.vfr and check.frames == 205
    # Made with 20 ms between frames, then 40 ms (media_variants.uneven_timestamps).
    assert check.min_interval_s == pytest.approx(0.02) and check.max_interval_s == 0.04
    assert check.duration_s == pytest.approx(100 * 0.02 + 104 * 0.04 + 0.04)  # + the last


def test_long_gop(media_variants, media):
    check = check_media(media_variants["long_gop"])
    assert check.ok and check.frames == 410 and check.keyframe_interval == 250
    assert check.badge == "warning" and "long GOP" in check.warnings[0]
    street = check_media(media("videos/openpose_video.avi"), quick=True)
    assert street.keyframe_interval < 250 and not street.warnings


@pytest.mark.parametrize(("variant", "words"), [
    ("audio_only", "audio only"), ("unknown_codec", "unsupported codec"),
    ("empty", "empty (0 bytes)"), ("text", "not a video")])
def test_nothing_to_process(media_variants, variant, words):
    check = check_media(media_variants[variant])
    assert not check.ok and check.unreadable and check.frames == 0
    assert words in check.problems[0] and not check.index_missing


def test_no_file_is_bad_input(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        check_media(tmp_path / "missing.mp4")
    with pytest.raises(InputError, match="folder"):
        check_media(tmp_path)


def test_progress_and_stop(media):
    path = media("videos/openpose_video.avi")
    seen = []
    check_media(path, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 3
    with pytest.raises(CheckStopped):
        check_media(path, stop=lambda: True)


def test_findings_round_trip():
    check = MediaCheck(ok=False, frames=3, problems=["damaged from frame 1"], vfr=True)
    data = check.to_dict()
    assert MediaCheck.from_dict({**data, "added_later": 1}) == check
    assert set(data) >= {"ok", "frames", "fps", "vfr", "min_interval_s", "max_interval_s",
                         "keyframe_interval", "damaged_from_frame", "index_missing", "codec",
                         "problems"}
