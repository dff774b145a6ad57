"""Broken and unusual videos made from shared media, as users have them: a recording cut before
its index was written, one cut in the middle, bytes overwritten inside the media data, uneven
timestamps, a long GOP, an audio-only file, a codec nobody knows, an empty file and a text file
named ``.mp4``.

``make_variants(folder)`` writes them all (about 3 s on one core); tests share them through
the session fixture ``media_variants`` in ``tests/conftest.py``.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

STREET = "videos/openpose_video.avi"  # 205 frames, 50 fps, 720p, moov first, AAC audio
HUG = "videos/mmaction2_demo_skeleton.mp4"  # 72 frames, 1080p, moov at the end
MAKEUP = "extras/mmaction2_tests_data_test.avi"  # a real RIFF AVI, MPEG-4 Part 2 ("XVID")


def top_boxes(data: bytes) -> dict[bytes, tuple[int, int]]:
    """Offset and size of each top-level MP4 box."""
    boxes, offset = {}, 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset:offset + 4], "big")
        boxes[data[offset + 4:offset + 8]] = (offset, size)
        if size < 8:
            break
        offset += size
    return boxes


def cut_before_index(source: Path, out: Path) -> Path:
    """A recording stopped before it was finalised: a moov-at-the-end MP4 cut in its mdat."""
    data = source.read_bytes()
    moov, _ = top_boxes(data)[b"moov"]
    mdat, _ = top_boxes(data)[b"mdat"]
    assert mdat < moov, "the source must keep its index at the end"
    out.write_bytes(data[: (mdat + moov) // 2])
    return out


def cut_in_middle(source: Path, out: Path) -> Path:
    """An MP4 with its index first (faststart), cut half-way through its media data."""
    data = source.read_bytes()
    out.write_bytes(data[: len(data) // 2])
    return out


def damage_middle(source: Path, out: Path, length: int = 20_000) -> Path:
    """Random bytes over ``length`` bytes in the middle of the media data; the index is intact."""
    data = bytearray(source.read_bytes())
    offset, size = top_boxes(bytes(data))[b"mdat"]
    middle = offset + size // 2
    noise = np.random.default_rng(1).integers(0, 256, length, dtype=np.uint8).tobytes()
    data[middle:middle + length] = noise
    out.write_bytes(bytes(data))
    return out


def uneven_timestamps(source: Path, out: Path, slow_from: int = 100) -> Path:
    """The same packets, remuxed with 20 ms between frames up to ``slow_from``, 40 ms after."""
    import av

    def stretch(t: int) -> int:  # source ticks are frames (time base 1/50): ms out
        return 20 * t + 20 * max(0, t - slow_from)

    with av.open(str(source)) as src, av.open(str(out), "w", format="mp4") as dst:
        stream_in = src.streams.video[0]
        stream_out = dst.add_stream_from_template(stream_in)
        stream_out.time_base = Fraction(1, 1000)
        for packet in src.demux(stream_in):
            if packet.size == 0:
                continue
            packet.pts, packet.dts = stretch(packet.pts), stretch(packet.dts)
            packet.time_base = Fraction(1, 1000)
            packet.stream = stream_out
            dst.mux(packet)
    return out


def long_gop(source: Path, out: Path, loops: int = 2, gop: int = 250) -> Path:
    """``source`` played ``loops`` times, re-encoded small with one keyframe every ``gop``."""
    import av

    with av.open(str(out), "w", format="mp4") as dst:
        stream = dst.add_stream("libx264", rate=50)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        stream.options = {"g": str(gop), "keyint_min": str(gop), "sc_threshold": "0",
                          "preset": "ultrafast"}
        for _ in range(loops):
            with av.open(str(source)) as src:
                for frame in src.decode(video=0):
                    # A fresh frame: a decoded one carries its picture type, and x264 would
                    # keep the source's keyframes.
                    small = av.VideoFrame.from_ndarray(
                        frame.to_ndarray(width=320, height=180, format="rgb24"), format="rgb24")
                    for packet in stream.encode(small):
                        dst.mux(packet)
        for packet in stream.encode():
            dst.mux(packet)
    return out


def audio_only(source: Path, out: Path) -> Path:
    """The audio track of ``source`` alone, in an MP4."""
    import av

    with av.open(str(source)) as src, av.open(str(out), "w", format="mp4") as dst:
        stream_in = src.streams.audio[0]
        stream_out = dst.add_stream_from_template(stream_in)
        for packet in src.demux(stream_in):
            if packet.size == 0:
                continue
            packet.stream = stream_out
            dst.mux(packet)
    return out


def unknown_codec(source: Path, out: Path, fourcc: bytes = b"ZZZZ") -> Path:
    """An AVI whose video stream names a codec nobody knows: its stream header's and format's
    four-character codes overwritten."""
    data = bytearray(source.read_bytes())
    header = data.find(b"strh")  # 'strh' size 'vids' <handler>
    fmt = data.find(b"strf")  # 'strf' size, then BITMAPINFOHEADER: biCompression at 16
    assert data[header + 8:header + 12] == b"vids"
    data[header + 12:header + 16] = fourcc
    data[fmt + 24:fmt + 28] = fourcc
    out.write_bytes(bytes(data))
    return out


def make_variants(folder: Path, media) -> dict[str, Path]:
    """Every variant, by name, made once in ``folder`` from the shared media (``media`` finds a
    file in it)."""
    street, hug = media(STREET), media(HUG)
    folder.mkdir(parents=True, exist_ok=True)
    empty = folder / "empty.mp4"
    empty.write_bytes(b"")
    text = folder / "notes.mp4"
    text.write_text("session notes, not a video\n" * 40)
    return {
        "index_missing": cut_before_index(hug, folder / "cut_before_index.mp4"),
        "cut_short": cut_in_middle(street, folder / "cut_short.mp4"),
        "damaged": damage_middle(street, folder / "damaged.mp4"),
        "vfr": uneven_timestamps(street, folder / "vfr.mp4"),
        "long_gop": long_gop(street, folder / "long_gop.mp4"),
        "audio_only": audio_only(street, folder / "audio_only.mp4"),
        "unknown_codec": unknown_codec(media(MAKEUP), folder / "unknown_codec.avi"),
        "empty": empty,
        "text": text,
    }
