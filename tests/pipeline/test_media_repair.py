"""Repaired copies of broken and slow-to-seek videos made from shared media at test time: they
open, seek exactly, keep the source's timestamps, and give the same poses on the frames that
survived."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ambientpose_desktop.core.errors import InputError, OutputError
from ambientpose_desktop.pipeline.frame_index import build_index
from ambientpose_desktop.pipeline.frame_reader import FrameReader
from ambientpose_desktop.pipeline.media_repair import (
    SHORT_GOP,
    RepairCanceled,
    reencode_short_gop,
    remux,
    repair,
    salvage,
    sidecar_path,
)
from tests.repair_media import decoded_by_time

SEEKS = (150, 3, 101, 57, 204, 0, 125)


def sequential(path) -> list[np.ndarray]:
    """Every frame by decoding from the start, in order: the reference for seeks."""
    import av

    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def assert_seeks_exactly(path, frames: list[np.ndarray]) -> None:
    with FrameReader(path, threads=False) as reader:
        assert len(reader) == len(frames)
        for n in SEEKS:
            if n < len(frames):
                assert np.array_equal(reader.frame(n), frames[n]), f"frame {n}"


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b) ** 2)
    return float(10 * np.log10(255**2 / mse)) if mse else float("inf")


def keyframe_interval(path) -> int:
    import av

    with av.open(str(path)) as container:
        return build_index(container, container.streams.video[0]).longest_gop


@pytest.fixture(scope="module")
def poses():
    """People in RGB frames by the embedded default model (offline, CPU)."""
    from ambientpose_desktop.pipeline.backends import BackendConfig, create_backend

    model = create_backend("embedded", BackendConfig(device="cpu"))
    yield lambda frames: model.infer(frames)
    model.close()


def confident(people, score: float = 0.5):
    return [p for p in people if p.score >= score]


def same_people(these, those, min_oks: float = 0.85) -> bool:
    """Each confident person of ``these`` is in ``those`` with the same pose: object
    keypoint similarity (COCO's measure) of at least ``min_oks``."""
    from ambientpose_desktop.core.keypoints import COCO_17
    from ambientpose_desktop.pipeline.pose_nms import oks_matrix

    mine, theirs = confident(these), list(those)
    if not mine:
        return True
    if not theirs:
        return False
    people = mine + theirs
    oks = oks_matrix(np.stack([p.keypoints for p in people]),
                     np.asarray([p.box for p in people]), np.asarray(COCO_17.sigmas))
    return bool((oks[: len(mine), len(mine):].max(axis=1) >= min_oks).all())


def test_long_gop_becomes_a_short_gop_copy_with_the_same_timestamps(repair_clips, tmp_path,
                                                                    poses):
    source = repair_clips["long_gop"]
    assert keyframe_interval(source) == 205  # one keyframe for the whole clip
    out = tmp_path / "fast.mp4"
    result = reencode_short_gop(source, out)
    assert (result.frames_written, result.source_frames, result.lost) == (205, 205, [])
    assert result.keyframe_interval == keyframe_interval(out) <= SHORT_GOP
    before, after = decoded_by_time(source), decoded_by_time(out)
    assert list(after) == list(before)  # every timestamp kept, in order
    frames = sequential(out)
    assert_seeks_exactly(out, frames)
    # visually lossless (PSNR over 35 dB on every frame), and the same people found
    assert min(psnr(a, b) for a, b in zip(before.values(), after.values(), strict=True)) > 35
    picked = [0, 101, 204]
    src = list(before.values())
    for people_src, people_copy in zip(poses([src[i] for i in picked]),
                                       poses([frames[i] for i in picked]), strict=True):
        assert confident(people_src)
        assert same_people(people_src, people_copy) and same_people(people_copy, people_src)


def test_damaged_middle_keeps_every_clean_frame_exactly_and_names_the_lost(
        repair_clips, tmp_path, poses):
    damaged, original = repair_clips["damaged"], repair_clips["short_gop"]
    out = tmp_path / "salvaged.mp4"
    result = salvage(damaged, out)
    good = decoded_by_time(original)  # the frames before the damage was done
    times = list(good)
    copy = decoded_by_time(out)
    kept = [times.index(t) for t in copy]
    lost = [n for a, b in result.lost for n in range(a, b + 1)]
    assert sorted(kept + lost) == list(range(205)) and not set(kept) & set(lost)
    assert result.frames_written == len(copy) == 205 - result.lost_frames
    assert 0 < result.lost_frames < 30 and 60 < lost[0] < 150  # the middle, one GOP or so
    # every frame the decoder refuses is named lost, and the copy decodes without a refusal
    refused = set(times) - set(decoded_by_time(damaged))
    assert refused and {times.index(t) for t in refused} <= set(lost)
    for t, frame in copy.items():  # the packets were copied: the very same pixels
        assert np.array_equal(frame, good[t]), f"frame {times.index(t)} differs"
    frames = sequential(out)
    assert_seeks_exactly(out, frames)
    assert result.keyframe_interval == keyframe_interval(out) == 25
    # the same poses on survived frames just before and after the damage
    around = [n for n in (lost[0] - 2, lost[0] - 1, lost[-1] + 1, lost[-1] + 2)]
    assert not set(around) & set(lost)
    from_copy = poses([frames[kept.index(n)] for n in around])
    from_original = poses([good[times[n]] for n in around])
    for a, b in zip(from_copy, from_original, strict=True):
        assert len(a) == len(b)
        for p, q in zip(a, b, strict=True):
            assert np.array_equal(p.keypoints, q.keypoints) and p.box == q.box


def test_salvage_with_a_short_gop_reencodes_the_clean_frames(repair_clips, tmp_path):
    out = tmp_path / "salvaged_fast.mp4"
    copied = salvage(repair_clips["damaged"], tmp_path / "copied.mp4")
    result = salvage(repair_clips["damaged"], out, short_gop=True)
    assert result.lost == copied.lost and result.frames_written == copied.frames_written
    assert keyframe_interval(out) <= SHORT_GOP
    assert_seeks_exactly(out, sequential(out))


def test_a_file_cut_short_is_remuxed_with_its_index_rebuilt(repair_clips, tmp_path):
    import av

    faststart = tmp_path / "faststart.mp4"  # the index first, as cameras that stream write it
    with av.open(str(repair_clips["short_gop"])) as src, \
            av.open(str(faststart), "w", format="mp4", options={"movflags": "faststart"}) as dst:
        stream = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.size:
                packet.stream = stream
                dst.mux(packet)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(faststart.read_bytes()[: faststart.stat().st_size * 6 // 10])
    out = tmp_path / "remuxed.mp4"
    result = remux(cut, out)
    with av.open(str(out)) as copy:
        announced = copy.streams.video[0].frames
    frames = sequential(out)
    assert announced == len(frames) == result.frames_written < 205
    assert result.lost == [(result.frames_written, 204)]
    good = decoded_by_time(repair_clips["short_gop"])
    for (t, frame), (t0, frame0) in zip(decoded_by_time(out).items(), good.items(),
                                        strict=False):
        assert t == t0 and np.array_equal(frame, frame0)
    assert_seeks_exactly(out, frames)


def stream_copy(source, out, format: str) -> None:
    import av

    with av.open(str(source)) as src, av.open(str(out), "w", format=format) as dst:
        stream = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.size:
                packet.stream = stream
                dst.mux(packet)


def test_transport_streams_joined_end_to_end_get_monotonic_timestamps(repair_clips, tmp_path):
    part = tmp_path / "part.ts"
    stream_copy(repair_clips["short_gop"], part, "mpegts")
    joined = tmp_path / "joined.ts"  # `cat part.ts part.ts`: the clock starts over half-way
    joined.write_bytes(part.read_bytes() * 2)
    out = tmp_path / "joined.mp4"
    result = remux(joined, out)
    assert result.source_frames == 410 and "out of order" in result.notes[0]
    # the demuxer marks the packet read across the join corrupt: it is named, not copied
    assert result.frames_written == 410 - result.lost_frames >= 408
    times = list(decoded_by_time(out))
    assert len(times) == result.frames_written and times == sorted(set(times))
    steps = {round(b - a, 3) for a, b in zip(times, times[1:], strict=False)}
    assert steps <= {20.0, 40.0, 60.0}  # 50 fps, a lost frame or two at most
    assert_seeks_exactly(out, sequential(out))


def test_a_raw_stream_without_timestamps_is_reencoded_at_its_frame_rate(repair_clips,
                                                                         tmp_path):
    raw = tmp_path / "clip.h264"
    stream_copy(repair_clips["short_gop"], raw, "h264")
    with pytest.raises(InputError, match="no timestamps.*--mode reencode"):
        remux(raw, tmp_path / "no.mp4")
    out = tmp_path / "timed.mp4"
    result = reencode_short_gop(raw, out)
    assert result.frames_written == 205 and "no timestamp" in result.notes[0]
    assert list(decoded_by_time(out)) == list(decoded_by_time(repair_clips["short_gop"]))
    assert_seeks_exactly(out, sequential(out))


def test_auto_picks_the_repair_from_the_integrity_check(repair_clips, media, media_variants,
                                                        tmp_path):
    fast = repair(repair_clips["long_gop"], tmp_path / "a.mp4", "auto")
    assert fast.mode == "reencode" and "long GOP" in fast.notes[0]
    saved = repair(repair_clips["damaged"], tmp_path / "b.mp4", "auto")
    assert saved.mode == "salvage" and saved.lost
    findings = json.loads(sidecar_path(tmp_path / "b.mp4").read_text())
    assert findings["lost"] == [list(r) for r in saved.lost]
    assert findings["lost_frames"] == saved.lost_frames and findings["mode"] == "salvage"
    cut = repair(media_variants["cut_short"], tmp_path / "d.mp4", "auto")
    assert cut.mode == "salvage" and cut.source_frames == 205  # as its index announces
    assert cut.lost[-1][1] == 204 and cut.frames_written == 205 - cut.lost_frames > 100
    fine = repair(media("videos/mmpose_demo.mp4"), tmp_path / "c.mp4", "auto")
    assert fine.mode == "none" and fine.output == "" and "nothing to repair" in fine.notes[0]
    assert not (tmp_path / "c.mp4").exists()


def test_what_cannot_be_repaired_says_why_and_leaves_nothing(media_variants, tmp_path):
    for name, words in (("index_missing", "finalised"), ("audio_only", "no video stream"),
                        ("text", "cannot be repaired")):
        with pytest.raises(InputError, match=words):
            repair(media_variants[name], tmp_path / f"{name}.mp4", "auto")
        with pytest.raises(InputError, match="cannot be repaired"):
            repair(media_variants[name], tmp_path / f"{name}.mp4", "remux")
    assert list(tmp_path.iterdir()) == []


def test_never_the_input_and_never_an_existing_file_unless_asked(repair_clips, tmp_path):
    source = tmp_path / "clip.mp4"
    source.write_bytes(repair_clips["long_gop"].read_bytes())
    (tmp_path / "same.mp4").hardlink_to(source)
    for same in (source, tmp_path / "same.mp4"):
        with pytest.raises(InputError, match="never overwrites its input"):
            repair(source, same, "remux", overwrite=True)
    taken = tmp_path / "taken.mp4"
    taken.write_bytes(b"keep me")
    with pytest.raises(OutputError, match="already exists"):
        repair(source, taken, "remux")
    assert taken.read_bytes() == b"keep me"
    repair(source, taken, "remux", overwrite=True)
    assert len(sequential(taken)) == 205 and source.read_bytes() == \
        repair_clips["long_gop"].read_bytes()


def test_canceling_leaves_no_file(repair_clips, tmp_path):
    steps = []
    with pytest.raises(RepairCanceled):
        reencode_short_gop(repair_clips["long_gop"], tmp_path / "x.mp4",
                           progress=lambda *a: steps.append(a), should_stop=lambda: True)
    assert list(tmp_path.iterdir()) == []
    seen = []
    salvage(repair_clips["damaged"], tmp_path / "y.mp4", progress=lambda *a: seen.append(a))
    assert [s for s, _, _ in seen][0] == "decoding" and seen[-1] == ("copying good frames",
                                                                    205, 205)
