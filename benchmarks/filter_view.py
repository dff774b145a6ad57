"""The filtered layer in the viewer on an hour of results: opening with and without one, the
Filter dialog's live preview, and an edit's redraw while the plots draw the filtered lines.

    python benchmarks/filter_view.py [--frames 108000] [--people 6] [--fragments 7]
                                     [--repeat 10] [--keep DIR]

The results are those of ``benchmarks/proofread.py`` (synthetic, 30 fps, beside a tiny
video). Each row gives the wall time p50/p95 and this process's CPU time p50: on a shared
machine the wall time also waits for a core. Rows measured without and with a filtered layer
are printed side by side in one run, with the machine's load.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchmarks.proofread import make_task, settle, stopwatch  # noqa: E402
from benchmarks.viewer_seek import _row  # noqa: E402

PREVIEW_GOAL_MS = 250.0  # a preview that follows typing


def open_window(app, task: Path):
    from ambientpose_desktop.gui.viewer import ViewerWindow

    elapsed = stopwatch()
    window = ViewerWindow(task)
    window.resize(1400, 900)
    window.show()
    while window.canvas.image_index != 0:
        app.processEvents()
    first = elapsed()
    while not window.plots.filled:
        app.processEvents()
    settle(app)
    return window, first, elapsed()


def measure(app, task: Path, repeat: int, label: str) -> dict[str, list[tuple[float, float]]]:
    from ambientpose_desktop.core import edits

    window, first, filled = open_window(app, task)
    out = {f"open to the first frame, {label}": [first],
           f"open until the plots are filled in, {label}": [filled]}
    table = window.history.table
    rng = random.Random(4)
    for _ in range(repeat):
        frame = rng.randrange(1000, table.num_frames - 1000)
        window.state.seek(frame)
        settle(app)
        identity = table.persons(frame)[0].idx
        elapsed = stopwatch()
        window.history.edit(edits.DeleteDetection(frame, identity))
        settle(app)
        out.setdefault(f"edit + redraw (delete a detection), {label}", []).append(elapsed())
        window.history.stack.undo()
        settle(app)
    if window.filtered.exists:
        dialog = window.open_filter()
        settle(app)
        for window_frames in (7, 9, 11, 13, 15, 17, 19, 21, 23, 25)[:repeat]:
            dialog.fields["window"].setValue(window_frames)
            elapsed = stopwatch()
            dialog.preview()
            settle(app)
            out.setdefault(f"preview of {len(dialog.preview_frames())} frames (plots show "
                           "all), savgol", []).append(elapsed())
        dialog.close()
    window.close()
    settle(app)
    return out


def main() -> int:
    from PySide6.QtWidgets import QApplication

    from ambientpose_desktop.core.filter_settings import FilterSettings
    from ambientpose_desktop.pipeline.filters import filter_task

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=30 * 3600)
    parser.add_argument("--people", type=int, default=6)
    parser.add_argument("--fragments", type=int, default=7, help="identities per person")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--keep", type=Path, help="folder to keep the generated media in")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        task = make_task(folder, args.frames, args.people, args.fragments)
        (task / "pose_filtered.npz").unlink(missing_ok=True)
        timings = measure(app, task, args.repeat, "no filtered layer")
        (task / "edits.json").unlink(missing_ok=True)
        elapsed = stopwatch()
        filter_task(task, FilterSettings())
        timings["filter_task, the whole hour (Apply, on its thread)"] = [elapsed()]
        timings.update(measure(app, task, args.repeat, "with a filtered layer"))
        (task / "edits.json").unlink(missing_ok=True)
        (task / "pose_filtered.npz").unlink(missing_ok=True)
    print(f"\n{args.frames} frames ({args.frames / 30 / 60:.0f} min at 30 fps), "
          f"{args.people} people, {args.people * args.fragments} identities")
    print(f"{'measurement (ms; wall p50, p95 and this process CPU p50)':58} {'p50':>8} "
          f"{'p95':>8}   {'goal':14}")
    for name in sorted(timings, key=lambda n: (n.split(",")[0], n)):
        values = timings[name]
        goal = 100.0 if name.startswith("edit") else (
            PREVIEW_GOAL_MS if name.startswith("preview") else None)
        cpu = np.percentile([c for _, c in values], 50) * 1e3
        print(f"{_row(name, [w for w, _ in values], goal)}  cpu {cpu:7.1f}")
    load = os.getloadavg()
    print(f"\nmachine: {os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} "
          f"{load[2]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
