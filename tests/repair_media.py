"""Videos to repair, made from the shared street clip at test time: the same 205 frames (512x288)
as a long-GOP file (one keyframe for all of them, as x264's default of 250 gives), as a
short-GOP file, and that short-GOP file with a run of bytes overwritten in the middle of its
media data (the index intact), as a bad sector or a broken copy leaves one.

``make_repair_clips(folder, media)`` writes them (a few seconds on one core); tests share them
through the session fixture ``repair_clips`` in ``tests/conftest.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.media_variants import top_boxes

STREET = "videos/openpose_video.avi"  # 205 frames, 50 fps, 1280x720
SIZE = (512, 288)


def encode(source: Path, out: Path, gop: int) -> Path:
    """``source``'s frames at ``SIZE`` with a keyframe every ``gop`` frames and nowhere else
    (the source's own keyframes are not carried over); the source's timestamps."""
    import av

    with av.open(str(source)) as src, av.open(str(out), "w", format="mp4") as dst:
        video = src.streams.video[0]
        stream = dst.add_stream("libx264", rate=video.average_rate)
        stream.width, stream.height, stream.pix_fmt = *SIZE, "yuv420p"
        stream.codec_context.time_base = video.time_base
        stream.options = {"g": str(gop), "keyint_min": str(gop), "sc_threshold": "0",
                          "preset": "veryfast", "crf": "23"}
        for frame in src.decode(video):
            small = frame.reformat(*SIZE, "yuv420p")
            small.pts, small.time_base = frame.pts, frame.time_base
            small.pict_type = 0  # NONE: x264 would make every source keyframe one too
            for packet in stream.encode(small):
                dst.mux(packet)
        for packet in stream.encode():
            dst.mux(packet)
    return out


def damage_middle(source: Path, out: Path, length: int = 6000) -> Path:
    """``length`` bytes of noise in the middle of the media data; the index stays intact."""
    data = bytearray(source.read_bytes())
    offset, size = top_boxes(bytes(data))[b"mdat"]
    middle = offset + size // 2
    data[middle:middle + length] = np.random.default_rng(3).integers(
        0, 256, length, dtype=np.uint8).tobytes()
    out.write_bytes(bytes(data))
    return out


def make_repair_clips(folder: Path, media) -> dict[str, Path]:
    street = media(STREET)
    folder.mkdir(parents=True, exist_ok=True)
    short = encode(street, folder / "short_gop.mp4", gop=25)
    return {
        "long_gop": encode(street, folder / "long_gop.mp4", gop=250),
        "short_gop": short,
        "damaged": damage_middle(short, folder / "damaged.mp4"),
    }


def decoded_by_time(path: Path) -> dict[float, np.ndarray]:
    """Every frame plain PyAV decoding gives, by presentation time in ms; packets it refuses
    are skipped."""
    import av

    frames = {}
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            try:
                decoded = packet.decode()
            except av.error.InvalidDataError:
                continue
            for frame in decoded:
                frames[round(float(frame.time) * 1000, 3)] = frame.to_ndarray(format="rgb24")
    return frames
