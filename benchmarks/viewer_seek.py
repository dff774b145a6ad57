"""Viewer speed against the goals of issue 4, on this machine.

    python benchmarks/viewer_seek.py [--frames 500] [--seeks 60] [--steps 120]

Measures, on a generated 1080p GOP-250 H.264 video and on the shared media:
  random seek + overlay   FrameReader.frame(i) for random i, then QImage + QPainter overlay
  step (next frame)       frame(i + 1) after a seek, decoder warm, no idle prefetch
  step (prefetched)       the same after the viewer's idle prefetch (what a user sees)
and the time to open one hour (30 fps, 5 people, COCO-17) of synthetic results from pose.npz,
plus a frame lookup. Prints p50/p95 per row against the goals.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

MEDIA = REPO.parent / "shared" / "media" / "videos"
GOALS = {"seek": 30.0, "step": 10.0, "open": 1000.0}


def _overlay_painter(fmt):
    """A function drawing ``persons`` over an RGB frame the way the viewer's canvas does."""
    from PySide6.QtGui import QPainter
    from PySide6.QtWidgets import QApplication

    from ambientpose_desktop.gui.viewer.frame_loader import to_qimage
    from ambientpose_desktop.gui.viewer.pose_painter import paint_poses
    from ambientpose_desktop.gui.viewer.state import OverlayOptions

    QApplication.instance() or QApplication([])
    options = OverlayOptions()

    def draw(rgb, persons):
        image = to_qimage(rgb)
        painter = QPainter(image)
        paint_poses(painter, persons, fmt, options, 1.0)
        painter.end()
        return image

    return draw


def measure_video(path: Path, seeks: int, steps: int, seed: int = 1) -> dict[str, list[float]]:
    from ambientpose_desktop.core.keypoints import COCO_17
    from ambientpose_desktop.pipeline.backends.fake import fake_people
    from ambientpose_desktop.pipeline.frame_reader import FrameReader

    draw = _overlay_painter(COCO_17)
    out: dict[str, list[float]] = {"seek": [], "step": [], "step_prefetched": []}
    rng = random.Random(seed)
    with FrameReader(path, cache_bytes=64 * 2**20) as reader:
        width, height = reader.size
        for _ in range(seeks):
            i = rng.randrange(len(reader))
            t = time.perf_counter()
            draw(reader.frame(i), fake_people(i, width, height))
            out["seek"].append(time.perf_counter() - t)
        starts = [rng.randrange(max(len(reader) - 40, 1)) for _ in range(max(steps // 20, 1))]
        for start in starts:
            reader.frame(start)
            for i in range(start + 1, min(start + 21, len(reader))):
                t = time.perf_counter()
                draw(reader.frame(i), fake_people(i, width, height))
                out["step"].append(time.perf_counter() - t)
        for start in starts:
            reader.frame(start)
            while reader.prefetch(start, start + 21):
                pass
            for i in range(start + 1, min(start + 21, len(reader))):
                t = time.perf_counter()
                draw(reader.frame(i), fake_people(i, width, height))
                out["step_prefetched"].append(time.perf_counter() - t)
    return out


def measure_open(folder: Path, frames: int = 30 * 3600, people: int = 5) -> dict[str, float]:
    from ambientpose_desktop.core.pose_table import TABLE_NAME, PoseTable, load_task_table
    from ambientpose_desktop.core.summary import SourceInfo, Summary

    rng = np.random.default_rng(0)
    rows = frames * people
    table = PoseTable(
        offsets=np.arange(0, rows + 1, people, dtype=np.int64),
        keypoints=rng.random((rows, 17, 3), dtype=np.float32) * 1000,
        boxes=rng.random((rows, 4), dtype=np.float32) * 500,
        scores=rng.random(rows, dtype=np.float32),
        idx=np.tile(np.arange(people, dtype=np.int32), frames),
    )
    table.save(folder / TABLE_NAME)
    summary = Summary(
        source=SourceInfo(path="synthetic.mp4", kind="video", width=1920, height=1080, fps=30.0,
                          frame_count=frames, duration_s=frames / 30,
                          timestamps=[round(i / 30, 6) for i in range(frames)]),
        keypoint_format="coco17", backend="fake", device="cpu", params={},
        frames_processed=frames, persons=rows, tracks=people, timings={})
    summary.write(folder / "summary.json")
    t = time.perf_counter()
    loaded = load_task_table(folder, Summary.read(folder / "summary.json"))
    opened = time.perf_counter() - t
    picks = np.random.default_rng(1).integers(0, frames, 2000)
    t = time.perf_counter()
    for i in picks:
        loaded.persons(int(i))
    lookup = (time.perf_counter() - t) / len(picks)
    size = (folder / TABLE_NAME).stat().st_size
    return {"open_ms": opened * 1e3, "lookup_us": lookup * 1e6, "size_mb": size / 2**20}


def _row(name: str, values: list[float], goal: float | None) -> str:
    ms = np.asarray(values) * 1e3
    p50, p95 = np.percentile(ms, 50), np.percentile(ms, 95)
    verdict = "" if goal is None else ("meets" if p95 <= goal else "MISSES")
    goal_text = f"p95 <= {goal:.0f} ms" if goal is not None else "-"
    return f"{name:44} {p50:8.1f} {p95:8.1f}   {goal_text:14} {verdict}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=500, help="frames of the generated video")
    parser.add_argument("--seeks", type=int, default=60)
    parser.add_argument("--steps", type=int, default=120)
    args = parser.parse_args()
    from tests.viewer.synthetic import make_video

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"generating {args.frames} frames of 1080p H.264, GOP 250 ...", flush=True)
        videos = {"generated 1080p GOP-250": make_video(folder / "gop250.mp4", args.frames)}
        for name in ("mmaction2_demo_skeleton.mp4", "openpose_video.avi"):
            if (MEDIA / name).exists():
                videos[name] = MEDIA / name
        results = {name: measure_video(path, args.seeks, args.steps)
                   for name, path in videos.items()}
        opened = measure_open(folder)
    print(f"\n{'measurement (ms)':44} {'p50':>8} {'p95':>8}   {'goal':14}")
    for name, r in results.items():
        main_video = name.startswith("generated")
        print(_row(f"{name}: random seek + overlay", r["seek"],
                   GOALS["seek"] if main_video else None))
        print(_row(f"{name}: step +1, decode on", r["step"],
                   GOALS["step"] if main_video else None))
        print(_row(f"{name}: step +1, after idle prefetch", r["step_prefetched"], None))
    verdict = "meets" if opened["open_ms"] <= GOALS["open"] else "MISSES"
    print(f"{'open 1 h x 30 fps x 5 people (pose.npz)':44} {opened['open_ms']:8.1f} "
          f"{'':8}   {'<= 1000 ms':14} {verdict}")
    print(f"{'  frame lookup (us), file size (MiB)':44} {opened['lookup_us']:8.1f} "
          f"{opened['size_mb']:8.1f}")
    print(f"\nmachine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
