"""What each repair costs on a 1080p video, against plain PyAV decoding of the same file, side by
side in one run.

    python benchmarks/media_repair.py [--seconds 30] [--cache /tmp/ambientpose-bench]

The video is the shared 1080p clip looped (packets copied, made once in the cache folder).
remux reads packets only; salvage decodes on one thread (to pin damage to its packet), then
copies; reencode decodes with threads and runs libx264 (veryfast, CRF 18): the encoder sets
its pace.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_media import (  # noqa: E402
    DEFAULT_VIDEO,
    load_average,
    looped_copy,
    loops_for,
    plain_decode,
)


def main() -> int:
    from ambientpose_desktop.pipeline.media_repair import reencode_short_gop, remux, salvage

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the video")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/ambientpose-bench"))
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    video = looped_copy(DEFAULT_VIDEO, loops_for(DEFAULT_VIDEO, args.seconds), args.cache)
    print(f"video: {video} ({video.stat().st_size / 2**20:.0f} MiB), {os.cpu_count()} cores")

    start = time.perf_counter()
    frames = plain_decode(video, "AUTO")
    floor = time.perf_counter() - start
    print(f"plain decoding (frame threads): {frames} frames in {floor:.2f} s "
          f"({frames / floor:.0f} fps)  [{load_average()}]")
    with tempfile.TemporaryDirectory() as folder:
        for name, run in (("remux", remux), ("salvage", salvage),
                          ("reencode", reencode_short_gop)):
            out = Path(folder) / f"{name}.mp4"
            start = time.perf_counter()
            result = run(video, out)
            took = time.perf_counter() - start
            print(f"{name:9}: {result.frames_written} frames in {took:.2f} s "
                  f"({result.frames_written / took:.0f} fps, {took / floor:.2f}x plain "
                  f"decoding), keyframe interval {result.keyframe_interval}  [{load_average()}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
