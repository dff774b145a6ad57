"""Opening predictions made elsewhere (`ambientpose view FILE`): SLEAP .slp and analysis .h5,
DeepLabCut .h5 and .csv, beside AlphaPose JSON, on the same synthetic results.

    python benchmarks/open_predictions.py [--frames 18000] [--people 6] [--keep DIR]

The results are those of ``benchmarks/proofread.py`` (synthetic, 30 fps, beside a tiny
video), written by our own exports. Each row is the time to make the opened folder (read the
file with its ecosystem's reader, write pose.json and pose.npz, probe the video), measured in
one run with the machine's load, and its ratio to opening the AlphaPose JSON.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.proofread import make_task  # noqa: E402

FILES = [("alphapose", "results.json"), ("slp", "p.slp"), ("analysis-h5", "p.analysis.h5"),
         ("dlc", "pDLC.h5"), ("dlc", "pDLC.csv")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=18000)
    parser.add_argument("--people", type=int, default=6)
    parser.add_argument("--keep", type=Path, default=None, help="reuse results made here")
    args = parser.parse_args()
    from ambientpose_desktop.core.pose_table import PoseTable
    from ambientpose_desktop.core.summary import Summary
    from ambientpose_desktop.pipeline.export import export_task
    from ambientpose_desktop.pipeline.open_results import results_folder

    base = args.keep or Path(tempfile.mkdtemp(prefix="open-predictions-"))
    base.mkdir(parents=True, exist_ok=True)
    task = make_task(base, args.frames, args.people, fragments=7)
    video = Path(Summary.read(task / "summary.json").source.path)
    rows = PoseTable.load(task / "pose.npz").num_rows
    print(f"{args.frames} frames, {rows} poses; load average {os.getloadavg()}")
    first = None
    for fmt, name in FILES:
        out = base / "files" / name
        out.parent.mkdir(exist_ok=True)
        if not out.exists():
            export_task(task, fmt, out)
        workspace = base / "opened"
        shutil.rmtree(workspace, ignore_errors=True)
        start = time.perf_counter()
        results_folder(out, workspace, video=video)
        seconds = time.perf_counter() - start
        first = first or seconds
        print(f"{name:16s} {seconds:7.2f} s  {rows / seconds:9.0f} poses/s  "
              f"x{seconds / first:5.2f} of AlphaPose JSON  load {os.getloadavg()[0]:.2f}",
              flush=True)
    if args.keep is None:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
