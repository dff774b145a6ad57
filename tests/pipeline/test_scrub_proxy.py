"""The scrub proxy: frame i of the proxy is frame i of the video; a bad proxy is not used."""

from __future__ import annotations

import numpy as np

from ambientpose_desktop.core.task_folder import SCRUB_PROXY
from ambientpose_desktop.pipeline.scrub_proxy import (
    ScrubProxy,
    ScrubProxyWriter,
    proxy_size,
)
from ambientpose_desktop.pipeline.video import VideoSource


def test_proxy_frames_are_the_video_frames_smaller(long_gop_video, tmp_path):
    import cv2

    source = VideoSource(long_gop_video)
    writer = ScrubProxyWriter(tmp_path)
    picked = (0, 1, 7, 8, 130, 259)  # around a proxy keyframe, and the ends
    small = []
    for index, _, rgb in source.frames():
        writer.add(rgb)
        if index in picked:
            small.append(cv2.resize(rgb, proxy_size(1920, 1080), interpolation=cv2.INTER_AREA))
    source.close()
    assert writer.finish() == [SCRUB_PROXY]
    assert proxy_size(1920, 1080) == (640, 360)
    proxy = ScrubProxy.open(tmp_path, 260)
    assert proxy is not None and len(proxy) == 260
    for index in (130, 8, 259, 0, 7, 1):  # out of order: real seeks
        got = proxy.frame(index, "rgb24").astype(np.float32)
        errors = [float(np.abs(got - other.astype(np.float32)).mean()) for other in small]
        # closest to its own frame, of its neighbours too: the index is exact
        assert errors.index(min(errors)) == picked.index(index), (index, errors)
    assert proxy.frame(3).shape == (360, 640, 4)  # BGRA, as the viewer paints it
    proxy.close()
    assert ScrubProxy.open(tmp_path, 100) is None  # more frames than the video: not ours
    (tmp_path / SCRUB_PROXY).write_bytes(b"not a video")
    assert ScrubProxy.open(tmp_path, 260) is None


def test_worker_writes_proxy_for_the_frames_it_processed(processed_task):
    proxy = ScrubProxy.open(processed_task, 205)
    assert proxy is not None and len(proxy) == 60
    assert proxy.frame(59).shape == (360, 640, 4)
    proxy.close()


def test_abort_leaves_nothing(tmp_path):
    writer = ScrubProxyWriter(tmp_path)
    writer.add(np.zeros((720, 1280, 3), np.uint8))
    writer.abort()
    assert list(tmp_path.iterdir()) == []


def test_the_video_size_sets_the_proxy_size_whatever_frames_come(tmp_path):
    """The worker hands the proxy the model's prescaled frames; a resumed run's first part
    hands it full frames: both parts must come out the same size to be joined."""
    size = proxy_size(1000, 562)
    for name, frame_size in (("a.mp4", (662, 372)), ("b.mp4", (1000, 562))):
        writer = ScrubProxyWriter(tmp_path, name, source_size=(1000, 562))
        for _ in range(3):
            writer.add(np.full((frame_size[1], frame_size[0], 3), 90, np.uint8))
        assert writer.finish() == [name]
        import av

        with av.open(str(tmp_path / name)) as container:
            ctx = container.streams.video[0].codec_context
            assert (ctx.width, ctx.height) == size
            grey = next(container.decode(video=0)).to_ndarray(format="rgb24")
        assert abs(float(grey.mean()) - 90) < 3  # the colours survive the YUV conversion
