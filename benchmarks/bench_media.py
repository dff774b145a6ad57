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
    from ambientpose_desktop.pipeline.concat import concat_videos

    out_path = Path(folder) / f"{video.stem}_looped_{loops}x{video.suffix}"
    if out_path.exists():
        return out_path
    concat_videos([video] * loops, out_path)  # written under a temporary name, then renamed
    return out_path


def loops_for(video: Path, seconds: float) -> int:
    """How many loops of ``video`` last at least ``seconds``."""
    import av

    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        duration = float(stream.duration * stream.time_base) if stream.duration else (
            container.duration / 1e6)
    return max(1, -(-int(seconds * 1000) // max(int(duration * 1000), 1)))


def load_average() -> str:
    """Printed with every figure: the machines are shared and noisy."""
    import os

    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def plain_decode(path: Path, threads: str = "AUTO") -> int:
    """Every frame through PyAV, no pixel conversion: the floor the media benchmarks compare
    the check and the repairs with. Returns the frames decoded."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = threads
        return sum(1 for _ in container.decode(stream))
