"""Proofreading speed against the goals of issue 11, on an hour of synthetic results.

    python benchmarks/proofread.py [--frames 108000] [--people 6] [--fragments 7]
                                   [--edits 500] [--repeat 5] [--keep DIR]

The results: ``--frames`` frames at 30 fps (default 1 h), ``--people`` people walking about,
each track broken into ``--fragments`` identities (42 by default), COCO-17, beside a tiny
video of as many frames (made once; ``--keep DIR`` keeps both for the next run). Measures, in
the viewer window (offscreen):

  edit + redraw    ``EditHistory.edit`` (applied, saved to edits.json, on the undo stack)
                   and then everything it made dirty painted: frame, lanes, plots, people list
  undo + redraw    Ctrl+Z's work, then the same
  lanes painted    ``TrackLanes.paintEvent`` after a seek (warm) and after every lane changed
  open             the edit session replaying ``--edits`` edits, and the whole window until
                   its first frame is shown (then until the plots have filled in), with
                   those edits and without any

and prints p50/p95 of the wall time per row against the goals (edit + redraw <= 100 ms,
lanes <= 50 ms, open with 500 edits <= 1 s), with the median CPU time this process spent:
on a shared machine the wall time waits for cores. The machine's load is printed with them.
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

GOALS = {"edit": 100.0, "lanes": 50.0, "open": 1000.0}

from benchmarks.viewer_seek import _row  # noqa: E402  (the same table as the seek benchmark)


def make_task(folder: Path, frames: int, people: int, fragments: int) -> Path:
    from tests.synthetic import make_results, make_video

    video = folder / f"video-{frames}.mp4"
    if not video.exists():
        print(f"generating {frames} frames of tiny video ...", flush=True)
        make_video(video, frames, width=128, height=72, preset="ultrafast")
    task = folder / f"task-{frames}-{people}-{fragments}"
    if not (task / "summary.json").exists():
        make_results(task, video, frames, people, fragments, width=128, height=72)
    from ambientpose_desktop.core.task_folder import TaskFolder
    from ambientpose_desktop.pipeline.frame_reader import FrameReader

    FrameReader(video, index_file=TaskFolder(task).frame_index).close()  # as the worker left
    (task / "edits.json").unlink(missing_ok=True)
    return task


def random_op(rng: random.Random, session):
    """A plausible edit of the results as they are now (may still be refused)."""
    from ambientpose_desktop.core import edits

    table = session.table
    ids = table.identities()
    a, b = rng.sample(ids, 2)
    frames = table.frames_of(a)
    frame = int(frames[rng.randrange(len(frames))])
    kind = rng.randrange(8)
    if kind == 0:
        return edits.Rename(a, f"person {rng.randrange(100)}")
    if kind == 1:
        return edits.MoveKeypoint(frame, a, rng.randrange(17), rng.random() * 128, 30.0)
    if kind == 2:
        return edits.HideKeypoint(frame, a, rng.randrange(17))
    if kind == 3:
        return edits.DeleteDetection(frame, a)
    if kind == 4:
        return edits.Swap(a, b, frame, frame + rng.randrange(1, 3000))
    if kind == 5:
        return session.split_op(a, frame)
    if kind == 6:
        return edits.Merge(a, b)
    return edits.DeleteIdentity(a, frame, frame + rng.randrange(1, 300))


def write_edits(task: Path, count: int) -> float:
    """Make ``count`` edits through an edit session; returns seconds per saved edit."""
    from ambientpose_desktop.core.edited_table import EditRefused
    from ambientpose_desktop.core.layers import open_edits
    from ambientpose_desktop.core.summary import Summary

    session = open_edits(task, Summary.read(task / "summary.json"))
    rng = random.Random(5)
    elapsed = stopwatch()
    while len(session.ops) < count:
        try:
            session.apply(random_op(rng, session))
        except EditRefused:
            continue
    wall, cpu = elapsed()
    return wall / count, cpu / count


def stopwatch():
    """A function giving the wall time and this process's CPU time since now. On a shared
    machine the wall time includes waiting for a core; the CPU time is what the work cost."""
    wall, cpu = time.perf_counter(), time.process_time()
    return lambda: (time.perf_counter() - wall, time.process_time() - cpu)


def measure_open(task: Path) -> dict[str, list[tuple[float, float]]]:
    from PySide6.QtWidgets import QApplication

    from ambientpose_desktop.core.layers import open_edits
    from ambientpose_desktop.core.summary import Summary
    from ambientpose_desktop.gui.viewer import ViewerWindow

    app = QApplication.instance() or QApplication([])
    summary = Summary.read(task / "summary.json")
    out: dict[str, list[tuple[float, float]]] = {}
    elapsed = stopwatch()
    open_edits(task, summary)
    out["replay"] = [elapsed()]
    elapsed = stopwatch()
    window = ViewerWindow(task)
    window.show()
    while window.canvas.image_index != 0:
        app.processEvents()
    out["window"] = [elapsed()]
    while not window.plots.filled:
        app.processEvents()
    out["plots"] = [elapsed()]
    window.close()
    return out


def settle(app) -> None:
    """Paint everything that is dirty, as the event loop would before the next input."""
    app.processEvents()
    app.processEvents()


def measure_edits(task: Path, repeat: int) -> dict[str, list[float]]:
    from PySide6.QtWidgets import QApplication

    from ambientpose_desktop.core import edits
    from ambientpose_desktop.gui.viewer import ViewerWindow

    app = QApplication.instance() or QApplication([])
    window = ViewerWindow(task, synchronous=True)
    window.resize(1400, 900)
    window.show()
    settle(app)
    table = window.history.table
    rng = random.Random(3)
    out: dict[str, list[float]] = {}

    def person_ids(frame):
        return [p.idx for p in table.persons(frame)]

    def ops_at(frame):
        a, b = person_ids(frame)[:2]
        later = [i for i in table.identities() if table.stats(i).first > table.stats(a).last]
        merge = [edits.Merge(later[0], a)] if later else []
        return {
            "rename": edits.Rename(a, "child A"),
            "merge": merge[0] if merge else None,
            "swap (to the end)": edits.Swap(a, b, frame),
            "swap (300 frames)": edits.Swap(a, b, frame, frame + 300),
            "split": window.history.session.split_op(a, frame),
            "delete detection": edits.DeleteDetection(frame, a),
            "delete identity (600 frames)": edits.DeleteIdentity(a, frame, frame + 600),
            "delete identity": edits.DeleteIdentity(b),
            "move keypoint": edits.MoveKeypoint(frame, a, 0, 10.0, 20.0),
            "hide keypoint": edits.HideKeypoint(frame, a, 1),
        }

    for _ in range(repeat):
        frame = rng.randrange(1000, table.num_frames - 1000)
        window.state.seek(frame)
        settle(app)
        for name, op in ops_at(frame).items():
            if op is None:
                continue
            elapsed = stopwatch()
            ok = window.history.edit(op)
            settle(app)
            if not ok:
                continue
            out.setdefault(name, []).append(elapsed())
            elapsed = stopwatch()
            window.history.stack.undo()
            settle(app)
            out.setdefault("undo (each of the above)", []).append(elapsed())
    lanes = window.lanes
    for _ in range(20):
        window.state.seek(rng.randrange(table.num_frames))
        elapsed = stopwatch()
        lanes.repaint()
        out.setdefault("lanes, after a seek", []).append(elapsed())
        lanes.refresh()
        elapsed = stopwatch()
        lanes.repaint()
        out.setdefault("lanes, every lane changed", []).append(elapsed())
    elapsed = stopwatch()
    window.grab()
    out["whole window painted (for scale)"] = [elapsed()]
    window.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=30 * 3600)
    parser.add_argument("--people", type=int, default=6)
    parser.add_argument("--fragments", type=int, default=7, help="identities per person")
    parser.add_argument("--edits", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5, help="times each edit is measured")
    parser.add_argument("--keep", type=Path, help="folder to keep the generated media in")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        task = make_task(folder, args.frames, args.people, args.fragments)
        fresh = measure_open(task)
        timings = measure_edits(task, args.repeat)
        (task / "edits.json").unlink(missing_ok=True)
        print(f"making {args.edits} edits ...", flush=True)
        per_save = write_edits(task, args.edits)
        loaded = measure_open(task)
        (task / "edits.json").unlink(missing_ok=True)
    ids = args.people * args.fragments
    print(f"\n{args.frames} frames ({args.frames / 30 / 60:.0f} min at 30 fps), "
          f"{args.people} people, {ids} identities, "
          f"{args.frames * args.people} detections")
    print(f"{'measurement (ms; wall p50, p95 and this process CPU p50)':58} {'p50':>8} "
          f"{'p95':>8}   {'goal':14}")
    n = args.edits
    rows = [("edit + redraw (applied, saved, on the undo stack, painted)", None, None)]
    rows += [(f"  {name}", values, GOALS["edit"]) for name, values in timings.items()
             if not name.startswith(("lanes", "whole"))]
    rows += [("lanes", None, None)]
    rows += [(f"  {name}", timings[name], GOALS["lanes"])
             for name in ("lanes, after a seek", "lanes, every lane changed")]
    rows += [("  whole window painted (for scale)", timings["whole window painted (for scale)"],
              None),
             ("open", None, None),
             ("  edit session, no edits", fresh["replay"], None),
             (f"  edit session, {n} edits replayed", loaded["replay"], GOALS["open"]),
             ("  viewer window to its first frame, no edits", fresh["window"], None),
             (f"  viewer window to its first frame, {n} edits", loaded["window"],
              GOALS["open"]),
             ("    ... and until the plots are filled in, no edits", fresh["plots"], None),
             (f"    ... and until the plots are filled in, {n} edits", loaded["plots"], None),
             ("  saving one edit (edits.json, atomic, fsync)", [per_save], None)]
    for name, values, goal in rows:
        if values is None:
            print(name)
            continue
        cpu = np.percentile([c for _, c in values], 50) * 1e3
        print(f"{_row(name, [w for w, _ in values], goal)}  cpu {cpu:7.1f}")
    load = os.getloadavg()
    print(f"\nmachine: {os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} "
          f"{load[2]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
