"""Longer test videos made from the shared media, for the benchmarks (never committed).

Packets are copied, not re-encoded: a looped copy decodes exactly like its source, repeated.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_VIDEOS = REPO.parent / "shared" / "media" / "videos"
DEFAULT_VIDEO = SHARED_VIDEOS / "mmaction2_demo_skeleton.mp4"  # 1920x1080, 72 frames


def looped_copy(video: Path, loops: int, folder: Path) -> Path:
    """``video`` repeated ``loops`` times, made once in ``folder`` and reused after."""
    import av

    out_path = Path(folder) / f"{video.stem}_looped_{loops}x{video.suffix}"
    if out_path.exists():
        return out_path
    part = out_path.with_name(f".{out_path.name}.part{video.suffix}")
    with av.open(str(video)) as src, av.open(str(part), "w", format="mp4") as dst:
        in_stream = src.streams.video[0]
        out_stream = dst.add_stream_from_template(in_stream)
        offset = 0
        for _ in range(loops):
            src.seek(0)
            last = 0
            for packet in src.demux(in_stream):
                if packet.dts is None:
                    continue
                last = max(last, packet.pts + (packet.duration or 0))
                packet.pts += offset
                packet.dts += offset
                packet.stream = out_stream
                dst.mux(packet)
            offset += last
    part.replace(out_path)
    return out_path


def loops_for(video: Path, seconds: float) -> int:
    """How many loops of ``video`` last at least ``seconds``."""
    import av

    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        duration = float(stream.duration * stream.time_base) if stream.duration else (
            container.duration / 1e6)
    return max(1, -(-int(seconds * 1000) // max(int(duration * 1000), 1)))
