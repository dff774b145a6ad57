"""Viewer speed against the goals of issues 4 and 16, on this machine.

    python benchmarks/viewer_seek.py [--frames 500] [--seeks 60] [--steps 120] [--video PATH]

Measures, on a generated 1080p GOP-250 H.264 video and on the shared media:
  seek, first frame shown   what the viewer shows first for a random frame i: the scrub
                            proxy's frame i (360p, GOP 8) when the exact one needs a long decode
  seek, exact full-res      FrameReader.frame(i), the exact full-resolution frame
  step (next frame)         frame(i + 1) after a seek, decoder warm, no idle prefetch
  step, viewer (key held)   the viewer's FrameLoader thread: request(i + 1) every 33 ms (key
                            auto-repeat) until frameReady, after its idle decode-ahead
  step back, viewer         the same with request(i - 1), starting right after a far seek
                            (the first steps past the frames decoded on the way wait for the
                            loader to decode the stretch behind)
  ... on the seekable copy  the exact frame again, the task folder now holding the viewer's
                            fast-seeking copy (runner.repairs.make_seekable_copy), which the
                            loader reads instead of the video
The loader delivers frames at the size the canvas shows them (told as the window tells it),
decoded from the full-resolution stream.
each including QImage conversion and the QPainter overlay.
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
GOALS = {"first": 30.0, "exact": 250.0, "step": 10.0, "open": 1000.0}


def _overlay_painter(fmt, width: int, height: int):
    """A function that shows a frame and its poses in the viewer's canvas (1100 x 620, the
    size it has in a 1400 x 900 window) and renders it, as a screen update would; its
    ``canvas`` is what ``_attach`` tells a loader the display size of."""
    from PySide6.QtWidgets import QApplication

    from ambientpose_desktop.gui.viewer.canvas import FrameCanvas
    from ambientpose_desktop.gui.viewer.frame_loader import to_qimage

    QApplication.instance() or QApplication([])
    canvas = FrameCanvas(fmt, (width, height))
    canvas.resize(1100, 620)

    def draw(frame, persons):
        image = frame if not isinstance(frame, np.ndarray) else to_qimage(frame)
        canvas.show_frame(0, image, persons)
        return canvas.grab()

    draw.canvas = canvas
    return draw


def _attach(loader, draw) -> None:
    """Have ``loader`` deliver frames at the size ``draw``'s canvas shows them, the way the
    window does (``displaySizeChanged`` → ``set_display_size``; this canvas is never shown,
    so its size is told once as well)."""
    canvas = draw.canvas
    canvas.displaySizeChanged.connect(loader.set_display_size)
    loader.set_display_size(*canvas.display_size())


def build_proxy(path: Path, folder: Path) -> Path:
    """``folder``, holding the scrub proxy the worker would have written for ``path``."""
    from ambientpose_desktop.pipeline.scrub_proxy import ScrubProxyWriter
    from ambientpose_desktop.pipeline.video import VideoSource

    folder.mkdir()
    source, writer = VideoSource(path), ScrubProxyWriter(folder)
    for _, _, rgb in source.frames():
        writer.add(rgb)
    source.close()
    writer.finish()
    return folder


def measure_video(path: Path, folder: Path, seeks: int, steps: int,
                  seed: int = 1) -> dict[str, list[float]]:
    from ambientpose_desktop.core.keypoints import COCO_17
    from ambientpose_desktop.pipeline.backends.fake import fake_people
    from ambientpose_desktop.pipeline.frame_reader import FrameReader

    out: dict[str, list[float]] = {}
    rng = random.Random(seed)
    with FrameReader(path, cache_bytes=64 * 2**20) as reader:
        width, height = reader.size
        count = len(reader)
        draw = _overlay_painter(COCO_17, width, height)
        out["first"], out["seek"] = measure_loader_seeks(
            path, folder, [rng.randrange(count) for _ in range(seeks)], draw)
        out["step"] = []
        starts = [rng.randrange(max(count - 40, 1)) for _ in range(max(steps // 20, 1))]
        for start in starts:
            reader.frame(start)
            for i in range(start + 1, min(start + 21, count)):
                t = time.perf_counter()
                draw(reader.frame(i, "bgra"), fake_people(i, width, height))
                out["step"].append(time.perf_counter() - t)
    out["step_prefetched"] = measure_loader_steps(path, starts, draw, +1)
    ends = [rng.randrange(40, count) for _ in range(max(steps // 20, 1))]
    out["step_back"] = measure_loader_steps(path, ends, draw, -1)
    return out


class _Arrivals:
    """The loader's ``frameReady`` signals, waited for in a Qt event loop as the window
    does (the GUI thread sleeps in it rather than spinning on the GIL)."""

    def __init__(self, loader) -> None:
        from PySide6.QtCore import QEventLoop

        self.got: list[tuple[int, object, bool]] = []
        self._loop = QEventLoop()
        loader.frameReady.connect(self._arrived)

    def _arrived(self, index: int, image, exact: bool) -> None:
        self.got.append((index, image, exact))
        self._loop.quit()

    def wait(self, index: int, exact_only: bool):
        """The first image of ``index`` (exact, or a preview unless ``exact_only``)."""
        while True:
            for n, (i, image, exact) in enumerate(self.got):
                if i == index and (exact or not exact_only):
                    del self.got[: n + 1]
                    return image, exact
            self._loop.exec()


def measure_loader_seeks(path: Path, folder: Path, targets: list[int], draw,
                         pause_s: float = 0.3) -> tuple[list[float], list[float]]:
    """Random seeks through the viewer's loader (with the scrub proxy in ``folder``), each
    after ``pause_s`` of looking at the last frame (the loader reads ahead meanwhile): time
    to the first image drawn (the proxy's when the exact frame is far) and to the exact
    full-resolution frame drawn."""
    from ambientpose_desktop.gui.viewer.frame_loader import FrameLoader
    from ambientpose_desktop.pipeline.backends.fake import fake_people

    loader = FrameLoader(path, folder)
    _attach(loader, draw)
    width, height = loader.reader.size
    arrivals = _Arrivals(loader)
    first, exact_times = [], []
    try:
        for i in targets:
            time.sleep(pause_s)
            people = fake_people(i, width, height)
            t = time.perf_counter()
            loader.request(i)
            image, exact = arrivals.wait(i, exact_only=False)
            draw(image, people)
            first.append(time.perf_counter() - t)
            if not exact:
                draw(arrivals.wait(i, exact_only=True)[0], people)
            exact_times.append(time.perf_counter() - t)
    finally:
        loader.close()
    return first, exact_times


def measure_loader_steps(path: Path, starts: list[int], draw, step: int) -> list[float]:
    """Steps (``step`` = +1 or -1) through the viewer's own loader thread, one request per
    key auto-repeat; the GUI thread waits in a Qt event loop as the window does (not
    spinning on the GIL)."""
    from ambientpose_desktop.gui.viewer.frame_loader import FrameLoader
    from ambientpose_desktop.pipeline.backends.fake import fake_people

    loader = FrameLoader(path)
    _attach(loader, draw)
    width, height = loader.reader.size
    arrivals = _Arrivals(loader)
    times = []
    try:
        for start in starts:
            loader.request(start)
            arrivals.wait(start, exact_only=True)
            for i in range(start + step, start + 21 * step, step):
                time.sleep(0.033)  # the next key auto-repeat; the loader works meanwhile
                t = time.perf_counter()
                loader.request(i)
                draw(arrivals.wait(i, exact_only=True)[0], fake_people(i, width, height))
                times.append(time.perf_counter() - t)
    finally:
        loader.close()
    return times


def measure_seekable_copy(path: Path, folder: Path, seeks: int,
                          seed: int = 1) -> tuple[float, list[float]]:
    """Make the viewer's fast-seeking copy of ``path`` in the task ``folder`` (the same
    function as its button), then the exact frame of random seeks through the loader, which
    now reads the copy: (seconds to make it, seek times)."""
    from ambientpose_desktop.core.keypoints import COCO_17
    from ambientpose_desktop.gui.viewer.frame_loader import FrameLoader
    from ambientpose_desktop.runner.repairs import make_seekable_copy

    t = time.perf_counter()
    make_seekable_copy(path, folder)
    made = time.perf_counter() - t
    loader = FrameLoader(path, folder)
    count, (width, height), copied = len(loader), loader.reader.size, loader.reading_copy
    loader.close()
    assert copied, "the loader does not read the copy"
    rng = random.Random(seed)
    draw = _overlay_painter(COCO_17, width, height)
    _, exact = measure_loader_seeks(path, folder, [rng.randrange(count) for _ in range(seeks)],
                                    draw)
    return made, exact


def measure_open(folder: Path, frames: int = 30 * 3600, people: int = 5,
                 video: str = "synthetic.mp4") -> dict[str, float]:
    from ambientpose_desktop.core.pose_table import PoseTable, load_task_table
    from ambientpose_desktop.core.summary import SourceInfo, Summary
    from ambientpose_desktop.core.task_folder import POSE_TABLE

    rng = np.random.default_rng(0)
    rows = frames * people
    table = PoseTable(
        offsets=np.arange(0, rows + 1, people, dtype=np.int64),
        keypoints=rng.random((rows, 17, 3), dtype=np.float32) * 1000,
        boxes=rng.random((rows, 4), dtype=np.float32) * 500,
        scores=rng.random(rows, dtype=np.float32),
        idx=np.tile(np.arange(people, dtype=np.int32), frames),
    )
    table.save(folder / POSE_TABLE)
    summary = Summary(
        source=SourceInfo(path=video, kind="video", width=1920, height=1080, fps=30.0,
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
    size = (folder / POSE_TABLE).stat().st_size
    return {"open_ms": opened * 1e3, "lookup_us": lookup * 1e6, "size_mb": size / 2**20}


def measure_viewer_open(folder: Path, frames: int = 30 * 3600) -> dict[str, float]:
    """The whole viewer window on 1 h of results (a tiny 1 h video keeps generation quick):
    first without a saved frame index (tasks from before it existed), then with it."""
    from PySide6.QtWidgets import QApplication

    from ambientpose_desktop.gui.viewer import ViewerWindow
    from tests.synthetic import make_video

    video = make_video(folder / "hour.mp4", frames, width=64, height=64, preset="ultrafast")
    measure_open(folder, frames, video=str(video))
    app = QApplication.instance() or QApplication([])
    out = {}
    for label in ("no_index", "with_index"):
        t = time.perf_counter()
        window = ViewerWindow(folder)
        window.show()
        while window.canvas.image_index != 0:
            app.processEvents()
        out[label] = (time.perf_counter() - t) * 1e3
        window.close()
    return out


def _row(name: str, values: list[float], goal: float | None) -> str:
    ms = np.asarray(values) * 1e3
    p50, p95 = np.percentile(ms, 50), np.percentile(ms, 95)
    verdict = "" if goal is None else ("meets" if p95 <= goal else "MISSES")
    goal_text = f"p95 <= {goal:.0f} ms" if goal is not None else "-"
    return f"{name:58} {p50:8.1f} {p95:8.1f}   {goal_text:14} {verdict}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=500, help="frames of the generated video")
    parser.add_argument("--video", type=Path,
                        help="a 1080p GOP-250 video made before (instead of generating one)")
    parser.add_argument("--seeks", type=int, default=60)
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--no-window", dest="window", action="store_false",
                        help="skip opening the window on 1 h of results (needs ~1 min)")
    args = parser.parse_args()
    from tests.synthetic import make_video

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.video is None:
            print(f"generating {args.frames} frames of 1080p H.264, GOP 250 ...", flush=True)
        videos = {"generated 1080p GOP-250": args.video or make_video(folder / "gop250.mp4",
                                                                       args.frames)}
        for name in ("mmaction2_demo_skeleton.mp4", "openpose_video.avi"):
            if (MEDIA / name).exists():
                videos[name] = MEDIA / name
        results = {name: measure_video(path, build_proxy(path, folder / f"proxy{n}"),
                                       args.seeks, args.steps)
                   for n, (name, path) in enumerate(videos.items())}
        print("making the fast-seeking copy of the generated video ...", flush=True)
        made, on_copy = measure_seekable_copy(videos["generated 1080p GOP-250"],
                                              folder / "proxy0", args.seeks)
        opened = measure_open(folder)
        window = {}
        if args.window:
            print("generating 1 h of tiny video to open the window on ...", flush=True)
            (folder / "hour").mkdir()
            window = measure_viewer_open(folder / "hour")
    print(f"\n{'measurement (ms, with overlay)':58} {'p50':>8} {'p95':>8}   {'goal':14}")
    for name, r in results.items():
        goal = GOALS if name.startswith("generated") else {}
        print(name)
        print(_row("  random seek, first frame shown (proxy if far)", r["first"],
                   goal.get("first")))
        print(_row("  random seek, exact full-resolution frame", r["seek"], goal.get("exact")))
        print(_row("  step +1, decoding on (no prefetch)", r["step"], goal.get("step")))
        print(_row("  step +1, viewer loader (key held, 33 ms apart)", r["step_prefetched"],
                   goal.get("step")))
        print(_row("  step -1, viewer loader (key held right after a seek)", r["step_back"],
                   goal.get("step")))
        if name.startswith("generated"):
            print(_row("  random seek, exact full-res, on the fast-seeking copy", on_copy,
                       goal.get("exact")))
            print(f"{'  (making the copy, s)':58} {made:8.1f}")
    verdict = "meets" if opened["open_ms"] <= GOALS["open"] else "MISSES"
    print(f"{'open 1 h x 30 fps x 5 people (pose.npz)':58} {opened['open_ms']:8.1f} "
          f"{'':8}   {'<= 1000 ms':14} {verdict}")
    print(f"{'  frame lookup (us) | pose.npz size (MiB)':58} {opened['lookup_us']:8.1f} "
          f"{opened['size_mb']:8.1f}")
    for key, text in (("no_index", "without the worker's frame index"),
                      ("with_index", "with the worker's frame index")):
        if key in window:
            print(f"{'viewer window on 1 h, first frame shown, ' + text:58} "
                  f"{window[key]:8.1f}")
    print(f"\nmachine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
