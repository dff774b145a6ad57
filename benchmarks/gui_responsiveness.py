"""How responsive the window is: start-up time and event-loop stalls while a task runs.

    python benchmarks/gui_responsiveness.py [--video PATH] [--backend NAME] [--starts 3]

Prints a table with
  launch to shown     `python -m ambientpose_desktop` until the window has been shown and
                      painted (it saves a picture of itself then; goal <= 1.5 s)
  heavy imports       torch / onnxruntime / ultralytics / av / cv2 / numpy loaded by the window at
                      start-up (goal: none)
  longest stall       the longest time the GUI event loop did not run while a real task ran
                      through the QProcess runner in a shown window (goal <= 50 ms), next
                      to the same measure for the idle window (what the machine's other
                      processes cost, not the app)
Runs in a throw-away AMBIENTPOSE_HOME; uses the offscreen platform unless DISPLAY is set.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_VIDEO = REPO.parent / "shared" / "media" / "videos" / "mmaction2_demo_skeleton.mp4"
HEAVY = ("torch", "onnxruntime", "ultralytics", "av", "cv2", "numpy")
TICK_MS = 5


def launch_to_shown(home: Path) -> float:
    """Seconds from starting the app process until its first picture of itself exists."""
    shot = home / f"shown-{time.monotonic_ns()}.png"
    env = dict(os.environ, AMBIENTPOSE_HOME=str(home), AMBIENTPOSE_SCREENSHOT=str(shot),
               PYTHONPATH=str(REPO))
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "ambientpose_desktop"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not shot.exists() and proc.poll() is None:
        time.sleep(0.002)
    elapsed = time.perf_counter() - start
    proc.wait(30)
    if not shot.exists():
        raise SystemExit(f"the app exited with code {proc.returncode} before showing a window")
    return elapsed


def heavy_imports_at_start() -> list[str]:
    code = ("import sys; from PySide6.QtWidgets import QApplication; app = QApplication([]); "
            "import ambientpose_desktop.gui.app, ambientpose_desktop.gui.main_window; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(REPO)), check=True).stdout
    return [m for m in out.strip().split(",") if m]


def _tick_gaps(seconds: float | None, until=None) -> list[float]:
    """Run an event loop with a 5 ms timer until ``until`` fires (or ``seconds`` pass);
    returns how late each tick came, in ms. (A local loop: after ``app.quit()`` Qt no longer
    delivers queued signals to a later ``app.exec()``.)"""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer

    late: list[float] = []
    clock = QElapsedTimer()
    timer = QTimer()
    timer.setInterval(TICK_MS)

    def tick() -> None:
        late.append(clock.nsecsElapsed() / 1e6 - TICK_MS)
        clock.restart()

    timer.timeout.connect(tick)
    loop = QEventLoop()
    if until is not None:
        until.connect(loop.quit)
    if seconds is not None:
        QTimer.singleShot(int(seconds * 1000), loop.quit)
    clock.start()
    timer.start()
    loop.exec()
    timer.stop()
    return sorted(late[1:])


def stalls_during_task(video: Path, backend: str) -> dict[str, float]:
    """A shown window running one task, then idle as long: how late 5 ms timer ticks come."""
    from PySide6.QtWidgets import QApplication

    QApplication.instance() or QApplication([])
    from ambientpose_desktop.core.params import TaskParams
    from ambientpose_desktop.gui.main_window import MainWindow
    from ambientpose_desktop.runner.qt_runner import QtTaskRunner
    from ambientpose_desktop.store import open_store
    from ambientpose_desktop.store.settings import AppSettings

    repo, artefacts = open_store()
    settings = AppSettings(task=TaskParams(backend=backend))
    runner = QtTaskRunner(repo, artefacts, settings)
    window = MainWindow(repo, artefacts, runner, settings)
    window.show()
    _tick_gaps(0.5)  # first paint and font caches belong to start-up, not to the task
    task = repo.create(video, settings.task_params())
    window.select_task(task.id)  # the details pane and its live log are part of the load
    started = time.perf_counter()
    runner.wake()
    busy = _tick_gaps(None, until=runner.taskFinished)
    elapsed = time.perf_counter() - started
    # The same time with nothing running: what the machine itself (other processes) costs.
    idle = _tick_gaps(elapsed)
    window.model.close()
    final = repo.get(task.id)
    if final.status.value != "SUCCESS":
        raise SystemExit(f"the task ended {final.status.value}: {final.error}")
    return {"task_s": elapsed, "frames": final.progress_done, "ticks": len(busy),
            "longest_ms": busy[-1], "p99_ms": busy[int(len(busy) * 0.99)],
            "median_ms": statistics.median(busy), "over_50": sum(g > 50 for g in busy),
            "idle_longest_ms": idle[-1], "idle_p99_ms": idle[int(len(idle) * 0.99)]}


def pick_backend(requested: str | None) -> str:
    from ambientpose_desktop.pipeline.backends import availability

    if requested:
        return requested
    return "embedded" if availability("embedded").ok else "fake"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--backend", help="default: embedded when it can run here, else fake")
    parser.add_argument("--starts", type=int, default=3, help="launches to time")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["AMBIENTPOSE_HOME"] = tmp
        backend = pick_backend(args.backend)
        launches = [launch_to_shown(Path(tmp)) for _ in range(args.starts)]
        heavy = heavy_imports_at_start()
        run = stalls_during_task(args.video.resolve(), backend)
    platform = os.environ.get("QT_QPA_PLATFORM", "xcb")
    rows = [
        ("launch to shown (median)", f"{statistics.median(launches):.2f} s", "<= 1.5 s"),
        ("launch to shown (best)", f"{min(launches):.2f} s", ""),
        ("heavy imports at start-up", ", ".join(heavy) or "none", "none"),
        (f"task: {backend} on {args.video.name}",
         f"{run['frames']} frames in {run['task_s']:.1f} s", ""),
        ("longest event-loop stall", f"{run['longest_ms']:.1f} ms", "<= 50 ms"),
        ("stalls over 50 ms", f"{run['over_50']}", "0"),
        ("99th percentile stall", f"{run['p99_ms']:.1f} ms", ""),
        ("median stall", f"{run['median_ms']:.2f} ms", ""),
        ("idle window: longest stall", f"{run['idle_longest_ms']:.1f} ms", "(machine noise)"),
        ("idle window: 99th percentile", f"{run['idle_p99_ms']:.1f} ms", ""),
    ]
    print(f"GUI responsiveness ({platform} platform, {os.cpu_count()} CPUs, "
          f"{args.starts} launches, {run['ticks']} timer ticks of {TICK_MS} ms)")
    print(f"{'measure':32} {'value':>28}  goal")
    for name, value, goal in rows:
        print(f"{name:32} {value:>28}  {goal}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
