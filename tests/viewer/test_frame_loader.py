"""The viewer's frame loader on long-GOP 1080p: newest request wins even mid-decode, the
frames behind the one shown are decoded while idle, every frame is exact, and a video that
stays slow to seek is said to be so once."""

from __future__ import annotations

import hashlib

import pytest

from ambientpose_desktop.gui.viewer import frame_loader
from ambientpose_desktop.gui.viewer.frame_loader import FrameLoader, SeekTimer, slow_seek_notice
from tests.synthetic import decode_at


def _bgra_of(path, index: int) -> bytes:
    """Frame ``index`` by decoding from the start, as BGRA bytes (what the loader shows)."""
    import av

    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == index:
                return frame.to_ndarray(format="bgra").tobytes()
    raise IndexError(index)


def _image_bytes(image) -> bytes:
    return bytes(image.constBits())[: image.sizeInBytes()]


@pytest.fixture
def loader(long_gop_video):
    loader = FrameLoader(long_gop_video)
    yield loader
    loader.close()


def _collect(loader) -> list:
    seen = []
    loader.frameReady.connect(lambda i, image, exact: seen.append((i, image, exact)))
    return seen


def test_newest_request_interrupts_a_long_decode(qtbot, loader, long_gop_video):
    seen = _collect(loader)
    loader.request(245)  # ~245 frames from the keyframe
    loader.request(20)  # before that decode is done
    qtbot.waitUntil(lambda: any(i == 20 and exact for i, _, exact in seen), timeout=60000)
    shown = [i for i, _, exact in seen if exact]
    assert shown == [20]  # 245 was given up for the newer request, not finished first
    image = next(im for i, im, exact in seen if i == 20 and exact)
    assert hashlib.sha1(_image_bytes(image)).digest() == hashlib.sha1(
        _bgra_of(long_gop_video, 20)).digest()


def test_frames_behind_are_decoded_while_idle_and_stepping_back_is_exact(qtbot, loader,
                                                                         long_gop_video):
    seen = _collect(loader)
    loader.request(200)
    qtbot.waitUntil(lambda: any(exact for _, _, exact in seen), timeout=60000)
    reader = loader.reader
    qtbot.waitUntil(lambda: all(reader.cached(i) for i in range(176, 200)), timeout=60000)
    for i in range(199, 189, -1):
        assert reader.cached(i)  # decoded before it was asked for: the step waits for nothing
        loader.request(i)
        qtbot.waitUntil(lambda i=i: seen[-1][0] == i and seen[-1][2], timeout=20000)
    expected = decode_at(long_gop_video, 190)
    import numpy as np

    shown = np.frombuffer(_image_bytes(seen[-1][1]), np.uint8).reshape(1080, 1920, 4)
    assert np.array_equal(shown[..., 2::-1], expected)  # BGRA → RGB, pixel for pixel


def test_slow_seeking_is_said_once(qtbot, long_gop_video, monkeypatch):
    monkeypatch.setattr(frame_loader, "SLOW_SEEK_S", 0.0)  # any far seek is "too slow"
    loader = FrameLoader(long_gop_video)
    notices = []
    loader.notice.connect(notices.append)
    try:
        for target in (120, 60, 100):
            with qtbot.waitSignal(loader.frameReady, timeout=60000):
                loader.request(target)
        qtbot.waitUntil(lambda: len(notices) == 1, timeout=5000)
        assert "keyframe only every 250 frames" in notices[0]
        assert "ambientpose repair gop250.mp4 -o gop250_seekable.mp4" in notices[0]
    finally:
        loader.close()
    assert len(notices) == 1


def test_seek_timer_estimates_the_longest_gop():
    timer = SeekTimer(longest_gop=250)
    timer.add(2, 1.0)  # a short decode says nothing about far seeks
    timer.add(100, 0.4)
    assert timer.slowest() is None
    timer.add(50, 0.2)
    assert timer.slowest() == pytest.approx(1.0)
    assert "1.0 s" in slow_seek_notice("/data/cam.mp4", 250, 1.0)
