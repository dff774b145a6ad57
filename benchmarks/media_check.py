"""The integrity check's cost on a long 1080p video: the container pass against real time, the
full check against plain PyAV decoding of the same file, side by side in one run.

    python benchmarks/media_check.py [--seconds 600] [--cache /tmp/ambientpose-bench]

The video is the shared 1080p clip looped (packets copied, made once in the cache folder).
Targets (issue 14): the container pass ≥ 50× real time; the full check as fast as decoding
allows, i.e. close to plain decoding's time.
"""

from __future__ import annotations

import argparse
import os
import sys
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


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def main() -> int:
    from ambientpose_desktop.pipeline.media_check import check_media

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="length of the video")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/ambientpose-bench"))
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    video, made_s = timed(looped_copy, DEFAULT_VIDEO, loops_for(DEFAULT_VIDEO, args.seconds),
                          args.cache)
    size = video.stat().st_size / 2**20
    print(f"video: {video} ({size:.0f} MiB; ready in {made_s:.1f} s), {os.cpu_count()} cores")

    for attempt in ("first", "again"):
        quick, quick_s = timed(check_media, video, quick=True)
        print(f"container pass ({attempt}): {quick.frames} frames, {quick.duration_s:.0f} s "
              f"of video in {quick_s:.2f} s = {quick.duration_s / quick_s:.0f}x real time "
              f"({size / quick_s:.0f} MiB/s); {load_average()}")
    frames, plain_s = timed(plain_decode, video)
    print(f"plain PyAV decoding: {frames} frames in {plain_s:.1f} s = {frames / plain_s:.0f} "
          f"fps, {quick.duration_s / plain_s:.1f}x real time; {load_average()}")
    full, full_s = timed(check_media, video)
    print(f"full check: {full.frames} frames in {full_s:.1f} s = {full.frames / full_s:.0f} fps, "
          f"{quick.duration_s / full_s:.1f}x real time; {load_average()}")
    print(f"full check / plain decoding: {full_s / plain_s:.2f} (1.00 = as fast as decoding); "
          f"container pass / full check: {quick_s / full_s:.3f}")
    print(f"findings: ok={full.ok}, frames={full.frames} (plain decoding {frames}), "
          f"{full.message}")
    return 0 if full.frames == frames and quick.duration_s / quick_s >= 50 else 1


if __name__ == "__main__":
    sys.exit(main())
