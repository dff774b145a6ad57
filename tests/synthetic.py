"""Synthetic media for viewer tests and benchmarks: long-GOP H.264 and long results."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np


def make_video(path: Path, frames: int = 300, width: int = 1920, height: int = 1080,
               fps: int = 30, gop: int = 250, preset: str = "veryfast") -> Path:
    """An H.264 MP4 whose every frame differs (moving gradient, noise, a frame-number bar).

    ``veryfast`` keeps x264's B-frames, so seeking meets reordering as in real footage.
    """
    import av

    rng = np.random.default_rng(7)
    noise = rng.integers(0, 40, size=(height // 8, width // 8, 3), dtype=np.uint8)
    noise = np.kron(noise, np.ones((8, 8, 1), np.uint8))
    xs = np.linspace(0, 255, width, dtype=np.float32)
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"g": str(gop), "keyint_min": str(gop), "sc_threshold": "0",
                          "preset": preset, "crf": "28"}
        for i in range(frames):
            image = np.empty((height, width, 3), np.uint8)
            image[..., 0] = ((xs + i * 7) % 256).astype(np.uint8)
            image[..., 1] = (i * 3) % 256
            image[..., 2] = ((xs[::-1] + i * 3) % 256).astype(np.uint8)
            image += np.roll(noise, i * 8, axis=1)
            bar = int((i + 1) / frames * width)
            image[: height // 20, :bar] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def decode_at(path: Path, index: int) -> np.ndarray:
    """Frame ``index`` of ``path`` by decoding from the start: the slow, obviously right way."""
    import av

    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == index:
                return frame.to_ndarray(format="rgb24")
    raise IndexError(index)
