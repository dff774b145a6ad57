"""What checkpoints cost: `ambientpose detect` with and without them, side by side in one run.

    python benchmarks/checkpoints.py [--video PATH] [--seconds 60] [--backend fake]
                                     [--every 500] [--rounds 2]

The video is a shared clip looped (packets copied) to at least ``--seconds`` long. Each round
runs detect with ``--checkpoint-every 0`` (off) and ``--checkpoint-every N`` (the default
interval unless ``--every``), in alternating order, each in a fresh process at the same
niceness. Reported per side: the run's wall time (``summary.json``'s ``elapsed_s``), its CPU
time, and for the checkpointed side the time spent writing checkpoints (``checkpoint_s``,
measured inside the worker: the direct cost, which the machine's load hardly blurs). Ratios
are medians over the rounds; the load average is printed with every figure.

The fake backend (no model, decoding bound) is the worst case: a real model makes the same
checkpoint cost a smaller share of a longer run. ``--backend embedded`` measures that one.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_media import DEFAULT_VIDEO, REPO, looped_copy, loops_for  # noqa: E402


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))


def _load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def run_side(video: Path, out: Path, backend: str, every: int) -> dict[str, float]:
    """One detect run; its wall and CPU seconds and the checkpoint writing time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        [sys.executable, "-m", "ambientpose_desktop", "detect", str(video), "--output",
         str(out), "--backend", backend, "--checkpoint-every", str(every), "--events", "jsonl"],
        capture_output=True, text=True, env=_env())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"detect failed: {proc.stderr.strip().splitlines()[-1:]}")
    summary = json.loads((out / "summary.json").read_text())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"elapsed_s": summary["timings"]["elapsed_s"], "cpu_s": cpu,
            "checkpoint_s": summary["timings"].get("checkpoint_s", 0.0),
            "frames": summary["frames_processed"]}


def main() -> int:
    from ambientpose_desktop.core.params import PARAMS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the looped clip")
    parser.add_argument("--backend", default="fake")
    parser.add_argument("--every", type=int, default=PARAMS["checkpoint_every"].default)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if args.every <= 0:
        parser.error("--every must be at least 1 (0 is the side without checkpoints)")
    work = Path(tempfile.mkdtemp(prefix="bench-checkpoints-"))
    video = looped_copy(args.video, loops_for(args.video, args.seconds), work)
    print(f"{video.name}: looped from {args.video.name} to >= {args.seconds:g} s; "
          f"backend {args.backend}; checkpoint every {args.every} frames; {_load()}")
    results: dict[int, list[dict[str, float]]] = {0: [], args.every: []}
    for round_ in range(args.rounds):
        order = (0, args.every) if round_ % 2 == 0 else (args.every, 0)
        for every in order:
            side = run_side(video, work / f"out-{every}-{round_}", args.backend, every)
            results[every].append(side)
            print(f"  round {round_ + 1} every={every:<6} {side['frames']} frames "
                  f"elapsed {side['elapsed_s']:.2f} s, CPU {side['cpu_s']:.2f} s, "
                  f"writing checkpoints {side['checkpoint_s']:.3f} s; {_load()}")
    off, on = results[0], results[args.every]
    wall = statistics.median(b["elapsed_s"] / a["elapsed_s"] for a, b in zip(off, on, strict=True))
    cpu = statistics.median(b["cpu_s"] / a["cpu_s"] for a, b in zip(off, on, strict=True))
    direct = statistics.median(b["checkpoint_s"] / b["elapsed_s"] for b in on)
    print(f"with/without checkpoints: wall {wall:.3f}x, CPU {cpu:.3f}x; time spent writing "
          f"checkpoints {100 * direct:.2f} % of the run; {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
