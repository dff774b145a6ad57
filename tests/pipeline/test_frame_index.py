"""The worker's saved frame index: equal to the packets' own, refused when stale, and a wrong
one is caught by the reader, which then rebuilds it and still returns the exact frame."""

from __future__ import annotations

import hashlib
import shutil

from ambientpose_desktop.core.task_folder import FRAME_INDEX
from ambientpose_desktop.pipeline.frame_index import FrameIndex
from ambientpose_desktop.pipeline.frame_reader import FrameReader
from tests.pipeline.worker_helpers import run_detect
from tests.synthetic import decode_at


def test_worker_saves_the_index_the_packets_give(media, tmp_path):
    video = media("videos/openpose_video.avi")
    proc = run_detect(video, "--output", tmp_path / "task", "--backend", "fake")
    assert proc.returncode == 0, proc.stderr
    saved = FrameIndex.load(tmp_path / "task" / FRAME_INDEX, video)
    assert saved is not None
    with FrameReader(video) as reader:  # no index file: built by demuxing
        assert saved == reader.index
        assert saved.keyframes == (0, 150) and len(saved.pts) == 205


def test_stale_index_is_refused(long_gop_video, tmp_path):
    video = tmp_path / "v.mp4"
    shutil.copy(long_gop_video, video)
    with FrameReader(video, index_file=tmp_path / FRAME_INDEX) as reader:
        pass  # no saved index yet: built and saved
    assert FrameIndex.load(tmp_path / FRAME_INDEX, video) == reader.index
    with open(video, "ab") as fh:
        fh.write(b"\0")
    assert FrameIndex.load(tmp_path / FRAME_INDEX, video) is None


def test_wrong_index_is_rebuilt_and_frames_stay_exact(long_gop_video, tmp_path):
    video = tmp_path / "v.mp4"
    shutil.copy(long_gop_video, video)
    with FrameReader(video) as reader:
        good = reader.index
    # timestamps one tick off and a keyframe that is not one: nothing in it can be trusted
    FrameIndex(tuple(p + 1 for p in good.pts), (0, 100), good.time_base).save(
        tmp_path / FRAME_INDEX, video)
    with FrameReader(video, index_file=tmp_path / FRAME_INDEX) as reader:
        image = reader.frame(120)
        assert reader.index == good
    assert hashlib.sha1(image.tobytes()).digest() == hashlib.sha1(
        decode_at(video, 120).tobytes()).digest()
    assert FrameIndex.load(tmp_path / FRAME_INDEX, video) == good  # saved again, corrected


def test_decoding_keeps_its_index_bookkeeping_compact(media):
    """What the worker keeps per frame for the index stays a few bytes (lists of Python ints
    took 44): a long video must not grow the worker."""
    import sys

    from ambientpose_desktop.pipeline.video import VideoSource

    source = VideoSource(media("videos/openpose_video.avi"))
    try:
        frames = sum(1 for _ in source.frames())
    finally:
        source.close()
    kept = sys.getsizeof(source.decoded_pts) + sys.getsizeof(source.decoded_keyframe)
    assert frames == 205 and not source.pts_missing
    assert kept < 10 * frames + 256
