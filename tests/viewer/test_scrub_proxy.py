"""The scrub proxy: frame i of the proxy is frame i of the video; a bad proxy is not used."""

from __future__ import annotations

import numpy as np

from ambientpose_desktop.pipeline.scrub_proxy import (
    PROXY_DATA,
    PROXY_INDEX,
    ScrubProxy,
    ScrubProxyWriter,
    proxy_size,
)
from ambientpose_desktop.pipeline.video import VideoSource


def _decode_jpeg(data: bytes) -> np.ndarray:
    import cv2

    return cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR),
                        cv2.COLOR_BGR2RGB)


def test_proxy_frames_are_the_video_frames_smaller(long_gop_video, tmp_path):
    import cv2

    source = VideoSource(long_gop_video)
    writer = ScrubProxyWriter(tmp_path)
    small = []
    for index, _, rgb in source.frames():
        writer.add(rgb)
        if index in (0, 1, 130, 259):
            small.append(cv2.resize(rgb, proxy_size(1920, 1080), interpolation=cv2.INTER_AREA))
    source.close()
    assert writer.finish() == [PROXY_DATA, PROXY_INDEX]
    assert proxy_size(1920, 1080) == (640, 360)
    proxy = ScrubProxy.open(tmp_path, 260)
    assert proxy is not None and len(proxy) == 260
    for position, index in enumerate((0, 1, 130, 259)):
        got = _decode_jpeg(proxy.jpeg(index)).astype(np.float32)
        errors = [float(np.abs(got - other.astype(np.float32)).mean()) for other in small]
        # closest to its own frame by far (JPEG noise only), so the index is exact
        assert errors.index(min(errors)) == position
        assert min(errors) < 0.6 * sorted(errors)[1]
    proxy.close()
    assert ScrubProxy.open(tmp_path, 100) is None  # more frames than the video: not ours
    with open(tmp_path / PROXY_DATA, "ab") as fh:
        fh.write(b"junk")
    assert ScrubProxy.open(tmp_path, 260) is None  # size disagrees with the index


def test_worker_writes_proxy_for_the_frames_it_processed(processed_task):
    proxy = ScrubProxy.open(processed_task, 205)
    assert proxy is not None and len(proxy) == 60
    assert _decode_jpeg(proxy.jpeg(59)).shape == (360, 640, 3)
    proxy.close()


def test_abort_leaves_nothing(tmp_path):
    writer = ScrubProxyWriter(tmp_path)
    writer.add(np.zeros((720, 1280, 3), np.uint8))
    writer.abort()
    assert list(tmp_path.iterdir()) == []
