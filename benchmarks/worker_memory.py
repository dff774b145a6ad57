"""The worker's peak memory must not grow with the video's length.

    python benchmarks/worker_memory.py [--minutes 1 10] [--backend embedded] [--video PATH]

Makes looped copies of a 1080p clip of the shared media (packets copied, once, under
``--cache``), runs ``ambientpose detect`` on each as a subprocess and reads its peak resident
memory from the kernel (``wait4``'s ``ru_maxrss``, the high-water mark of that one process).
While it runs, ``/proc/PID/status`` is sampled so the table also says *when* memory grew: by
the end of the processing loop, or only while the results were written at the end. Goal: the
longest run's peak within 10 % of the shortest's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_media import DEFAULT_VIDEO, REPO, looped_copy, loops_for  # noqa: E402

GOAL = 0.10


def _rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_detect(video: Path, out: Path, backend: str, nice: int) -> dict:
    """One ``detect`` run: peak RSS, RSS when the last progress event came (end of the
    processing loop), frames, seconds."""
    cmd = [sys.executable, "-m", "ambientpose_desktop", "detect", str(video), "-o", str(out),
           "--backend", backend, "--device", "cpu"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                            text=True, preexec_fn=(lambda: os.nice(nice)) if nice else None)
    samples: list[tuple[float, float]] = []  # (frames done, RSS MiB) at each progress event
    done = threading.Event()

    def read_events() -> None:
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "progress" and (rss := _rss_mib(proc.pid)) is not None:
                samples.append((event["frame"], rss))
        done.set()

    reader = threading.Thread(target=read_events, daemon=True)
    reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.wait(5)
    if proc.returncode != 0:
        raise SystemExit(f"detect failed on {video.name} (exit {proc.returncode})")
    summary = json.loads((out / "summary.json").read_text())
    frames = summary["frames_processed"]
    at = {f: max((r for n, r in samples if n <= f * frames), default=float("nan"))
          for f in (0.1, 0.5, 1.0)}
    return {"frames": frames, "seconds": time.perf_counter() - start,
            "peak": usage.ru_maxrss / 1024, "rss_10": at[0.1], "rss_50": at[0.5],
            "rss_loop_end": at[1.0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--minutes", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--backend", default="embedded", help="embedded (default) or fake")
    parser.add_argument("--cache", type=Path,
                        default=Path(tempfile.gettempdir()) / "ambientpose-bench",
                        help="where the looped videos are made once and kept")
    parser.add_argument("--nice", type=int, default=0, help="run detect at this niceness")
    args = parser.parse_args()
    if not args.video.exists():
        print(f"video not found: {args.video}", file=sys.stderr)
        return 2
    args.cache.mkdir(parents=True, exist_ok=True)
    rows = []
    for minutes in sorted(args.minutes):
        video = looped_copy(args.video, loops_for(args.video, minutes * 60), args.cache)
        with tempfile.TemporaryDirectory() as tmp:
            load = os.getloadavg()[0]
            row = run_detect(video, Path(tmp) / "out", args.backend, args.nice)
        rows.append((minutes, row, load))
        print(f"{minutes:g} min done: peak {row['peak']:.0f} MiB", file=sys.stderr, flush=True)
    base = rows[0][1]["peak"]
    print(f"\n{args.video.name} looped, backend {args.backend}; RSS in MiB\n")
    print(f"{'length':>8} {'frames':>7} {'at 10%':>8} {'at 50%':>8} {'loop end':>9} "
          f"{'peak':>8} {'vs first':>9} {'s':>7} {'load':>5}")
    for minutes, row, load in rows:
        print(f"{minutes:>6g} m {row['frames']:>7} {row['rss_10']:>8.0f} {row['rss_50']:>8.0f} "
              f"{row['rss_loop_end']:>9.0f} {row['peak']:>8.0f} {row['peak'] / base - 1:>+8.1%} "
              f"{row['seconds']:>7.0f} {load:>5.1f}")
    growth = rows[-1][1]["peak"] / base - 1
    verdict = "meets" if abs(growth) <= GOAL else "MISSES"
    print(f"\npeak growth {growth:+.1%} (goal within ±{GOAL:.0%}): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
