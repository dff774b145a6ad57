"""What presentation order costs: ``VideoSource.frames`` with its reorder window
(``pipeline/pts_order.py``, 16 frames) against the same with a window of 0 (every frame
released at once, the order of the decoder), and plain PyAV decoding to RGB, on one file.

    python benchmarks/decode_order.py [--loops 5] [--video PATH] [--rounds 3]

All decode frame-threaded and convert every frame to RGB, as the worker does; rounds are
interleaved so all see the same load. Goal: window 16 / window 0 within a few per cent of 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_media import DEFAULT_VIDEO, REPO, looped_copy  # noqa: E402

sys.path.insert(0, str(REPO))
from ambientpose_desktop.pipeline.pts_order import REORDER_WINDOW  # noqa: E402


def plain(video: Path) -> int:
    import av

    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        return sum(1 for frame in container.decode(stream) if frame.to_ndarray(format="rgb24")
                   is not None)


def ordered(video: Path, window: int) -> int:
    from ambientpose_desktop.pipeline.video import VideoSource

    source = VideoSource(video)
    source.reorder_window = window
    try:
        return sum(1 for _ in source.frames())
    finally:
        source.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--loops", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    video = looped_copy(args.video, args.loops, args.cache) if args.loops > 1 else args.video
    best: dict[str, float] = {}
    counts: dict[str, int] = {}
    for _ in range(args.rounds):
        for name, decode in (("plain PyAV", plain),
                             ("frames, window 0", lambda v: ordered(v, 0)),
                             (f"frames, window {REORDER_WINDOW}",
                              lambda v: ordered(v, REORDER_WINDOW))):
            start = time.perf_counter()
            counts[name] = decode(video)
            best[name] = min(best.get(name, float("inf")), time.perf_counter() - start)
    if len(set(counts.values())) != 1:
        raise SystemExit(f"frame counts differ: {counts}")
    frames = counts["plain PyAV"]
    print(f"{video.name}: {frames} frames; best of {args.rounds}, load average "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    for name, seconds in best.items():
        print(f"  {name:20s} {seconds:7.2f} s  {frames / seconds:7.1f} fps")
    window = best[f"frames, window {REORDER_WINDOW}"]
    print(f"  ratio window {REORDER_WINDOW} / window 0: {window / best['frames, window 0']:.3f}; "
          f"window {REORDER_WINDOW} / plain PyAV: {window / best['plain PyAV']:.3f}")


if __name__ == "__main__":
    main()
