"""The same videos through the queue on this computer, on 1 Dask worker and on 2, side by side.

    python benchmarks/dask_scaling.py [--seconds 30] [--rounds 2] [--backend embedded]
                                      [--imgsz 640] [--videos PATH ...]
                                      [--long-seconds 60] [--chunks 4] [--only-chunks]

Each shared video is looped (packets copied) to about ``--seconds`` long; the set runs through
the real runner (``AsyncTaskRunner``, the lifecycle ``serve`` and ``run`` use) three ways:
``local`` (worker processes on this computer, one at a time as on a CPU machine), ``dask-1``
and ``dask-2`` (a ``distributed.LocalCluster`` of 1 or 2 worker processes, one task each).
After one untimed warm-up task each way (caches, the clusters' first imports), the three take
turns ``--rounds`` times, in a rotated order, and the medians are reported, so a noisy shared
machine slows all of them alike. Printed: throughput (frames per second of wall time for the
whole set), its ratio to local (goal for dask-1: within 5 %), and the per-task overhead:
a task's time in the queue's RUNNING state minus the worker's own elapsed time (process
start-up, imports, and for Dask the submission and the events' way back). The load average
is printed before and after: on 2 shared cores, 2 workers compete with each other and with
everything else.

Then one long video (the first one looped to ``--long-seconds``) split into ``--chunks``
chunks (``chunk_frames``) on 1 Dask worker and on 2, and whole on 2 (one worker busy, for
comparison), in turns the same way: the ratio of 2 workers to 1 is what splitting buys, the
chunked run on 1 worker against the whole one what it costs (a lead-in per chunk, a process
per chunk, the join).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
MEDIA = REPO.parent / "shared" / "media" / "videos"
VIDEOS = ("openpose_video.avi", "mmaction2_demo_skeleton.mp4", "mmpose_demo.mp4")


@dataclass
class Outcome:
    wall_s: float
    frames: int
    overheads_s: list[float]
    where: str  # what the runner said about the cluster, if any

    @property
    def fps(self) -> float:
        return self.frames / self.wall_s


def looped_videos(sources: list[Path], seconds: float, folder: Path) -> list[Path]:
    """Each source repeated to about ``seconds`` (the worker benchmark's packet copy), into
    MP4 (``openpose_video.avi`` is MP4 inside, which the AVI muxer would refuse)."""
    from worker_throughput import looped_copy

    from ambientpose_desktop.pipeline.video import probe

    out = []
    for source in sources:
        duration = max(probe(source).duration_s or 1.0, 0.1)
        loops = max(1, round(seconds / duration))
        link = folder / "sources" / f"{source.stem}.mp4"
        link.parent.mkdir(exist_ok=True)
        link.symlink_to(source.resolve())
        copy = looped_copy(link, loops, folder)
        out.append(copy.rename(folder / f"{source.stem}_{loops}x.mp4"))
    return out


def run_queue(videos: list[Path], settings, home: Path) -> Outcome:
    """All ``videos`` through a fresh queue under ``settings``; wall time until all done."""
    from ambientpose_desktop.core.paths import app_paths
    from ambientpose_desktop.core.tasks import TaskStatus
    from ambientpose_desktop.runner.actions import add_task
    from ambientpose_desktop.runner.async_runner import AsyncTaskRunner
    from ambientpose_desktop.runner.lifecycle import Listener
    from ambientpose_desktop.store import open_store

    class Where(Listener):
        said = "this computer"

        def executor_status(self, message: str, ok: bool) -> None:
            Where.said = message

    os.environ["AMBIENTPOSE_HOME"] = str(home)
    repo, artefacts = open_store(app_paths().ensure())
    runner = AsyncTaskRunner(repo, artefacts, settings=lambda: settings, poll_interval_s=0.2,
                             listener=Where())
    tasks = [add_task(repo, runner, video, settings.task_params()) for video in videos]

    async def until_done() -> float:
        start = time.perf_counter()
        await runner.start()
        while not all(repo.get(t.id).status.is_final for t in tasks):
            await asyncio.sleep(0.05)
        wall = time.perf_counter() - start
        await runner.stop()
        return wall

    wall = asyncio.run(until_done())
    rows = [repo.get(t.id) for t in tasks]
    failed = [f"{r.filename}: {r.error}" for r in rows if r.status != TaskStatus.SUCCESS]
    if failed:
        raise SystemExit("a task failed: " + "; ".join(failed))
    overheads = [(r.finished_at - r.started_at).total_seconds() - r.metrics["elapsed_s"]
                 for r in rows]
    return Outcome(wall, sum(r.progress_done for r in rows), overheads, Where.said)


def run_chunked(long_video: Path, ways: dict, rounds: int, folder: Path) -> None:
    """The long video through each way in ``ways``, ``rounds`` times in rotated turns."""
    results: dict[str, list[Outcome]] = {name: [] for name in ways}
    names = list(ways)
    for round_ in range(rounds):
        for name in names[round_ % len(names):] + names[:round_ % len(names)]:
            outcome = run_queue([long_video], ways[name], folder / f"long-{name}-{round_}")
            results[name].append(outcome)
            print(f"round {round_ + 1} {name:15} {outcome.frames} frames in "
                  f"{outcome.wall_s:6.1f} s = {outcome.fps:6.2f} fps  ({load()})", flush=True)
    fps = {name: statistics.median(o.fps for o in outcomes)
           for name, outcomes in results.items()}
    print(f"\n{'long video':15} {'fps':>8} {'vs chunked-1':>13}")
    for name, value in fps.items():
        print(f"{name:15} {value:8.2f} {value / fps['chunked-1']:13.3f}")
    print(f"2 workers / 1 worker, chunked: {fps['chunked-2'] / fps['chunked-1']:.3f}; "
          f"chunked / whole on 2 workers: {fps['chunked-2'] / fps['whole-2']:.3f}  ({load()})")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", nargs="*", type=Path,
                        default=[MEDIA / name for name in VIDEOS])
    parser.add_argument("--seconds", type=float, default=30.0, help="each video looped to this")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--backend", default="embedded")
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--long-seconds", type=float, default=60.0,
                        help="the long video of the chunked runs lasts this")
    parser.add_argument("--chunks", type=int, default=4, help="chunks of the long video")
    parser.add_argument("--only-chunks", action="store_true",
                        help="only the chunked runs of the long video")
    args = parser.parse_args()

    from distributed import LocalCluster

    from ambientpose_desktop.core.params import TaskParams
    from ambientpose_desktop.store.settings import AppSettings

    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO),
                                                             os.environ.get("PYTHONPATH")]))
    print(f"before: {load()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="dask-scaling-") as tmp:
        folder = Path(tmp)
        videos = looped_videos(args.videos, args.seconds, folder)
        print("videos: " + ", ".join(v.name for v in videos), flush=True)
        task = TaskParams(backend=args.backend, device="cpu", imgsz=args.imgsz)
        started = time.perf_counter()
        clusters = {n: LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                    dashboard_address=None, host="127.0.0.1")
                    for n in (1, 2)}
        print(f"two LocalClusters started in {time.perf_counter() - started:.1f} s", flush=True)
        ways = {"local": AppSettings(task=task, concurrency=1),
                **{f"dask-{n}": AppSettings(task=task, executor="dask",
                                            dask_address=cluster.scheduler_address)
                   for n, cluster in clusters.items()}}
        results: dict[str, list[Outcome]] = {name: [] for name in ways}
        names = list(ways)
        try:
            for name, settings in ways.items():
                run_queue(videos[-1:], settings, folder / f"warm-{name}")
            if args.only_chunks:
                results.clear()
            for round_ in range(0 if args.only_chunks else args.rounds):
                for name in names[round_ % 3:] + names[:round_ % 3]:
                    settings = ways[name]
                    outcome = run_queue(videos, settings, folder / f"home-{name}-{round_}")
                    results[name].append(outcome)
                    print(f"round {round_ + 1} {name:7} {outcome.frames} frames in "
                          f"{outcome.wall_s:6.1f} s = {outcome.fps:6.2f} fps  "
                          f"({outcome.where.split(': ')[-1]})", flush=True)
            (folder / "long").mkdir()
            long_video = looped_videos(args.videos[:1], args.long_seconds,
                                       folder / "long")[0]
            from ambientpose_desktop.pipeline.video import probe

            frames = probe(long_video).frame_count
            chunk = -(-frames // args.chunks)
            print(f"\nlong video: {long_video.name}, {frames} frames, chunks of {chunk}",
                  flush=True)
            run_chunked(long_video, {
                "chunked-1": replace(ways["dask-1"], chunk_frames=chunk),
                "chunked-2": replace(ways["dask-2"], chunk_frames=chunk),
                "whole-2": replace(ways["dask-2"], chunk_frames=0),
            }, args.rounds, folder)
        finally:
            for cluster in clusters.values():
                cluster.close()
    if args.only_chunks:
        print(f"after: {load()}")
        return 0
    local_fps = statistics.median(o.fps for o in results["local"])
    print(f"\n{'way':8} {'fps':>8} {'vs local':>9} {'overhead/task':>14}")
    for name, outcomes in results.items():
        fps = statistics.median(o.fps for o in outcomes)
        overhead = statistics.median(x for o in outcomes for x in o.overheads_s)
        print(f"{name:8} {fps:8.2f} {fps / local_fps:9.3f} {overhead:12.2f} s")
    print(f"after: {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
