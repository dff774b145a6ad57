"""The detection run behind ``ambientpose detect``: decode → pose backend → tracker → writers.

Decoding and writing run in their own threads behind bounded queues, so the model never waits
on I/O and memory stays flat however long the video. A stop flag (set by SIGTERM/SIGINT)
ends the run within one batch; results are written under their final names only at the end,
through a temporary name, so a cancel or crash never leaves a half file behind.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loguru import logger

from ambientpose_desktop.core.errors import DecodeError, InputError, OutputError
from ambientpose_desktop.core.events import Progress, Started
from ambientpose_desktop.core.keypoints import get_format
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.core.poses import FramePoses
from ambientpose_desktop.core.results import write_alphapose
from ambientpose_desktop.core.summary import SourceInfo, Summary
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.pipeline.backends import DEFAULT_BACKEND, BackendConfig, create_backend
from ambientpose_desktop.pipeline.events_sink import EventSink
from ambientpose_desktop.pipeline.outputs import RenderedOutputs
from ambientpose_desktop.pipeline.video import open_source

_QUEUE_FRAMES = 8
_END = object()


class RunCanceled(Exception):
    """The stop flag was set; ``frames`` were processed before that."""

    def __init__(self, frames: int) -> None:
        super().__init__(f"canceled after {frames} frames")
        self.frames = frames


@dataclass
class DetectJob:
    input: Path
    output: Path
    backend: str = DEFAULT_BACKEND
    device: str = "auto"
    conf: float = 0.25
    imgsz: int = 640
    max_frames: int | None = None
    overlay_video: bool = False
    frames_jpeg: bool = False
    scrub_proxy: bool = True  # small 360p scrub.mp4 for the viewer's fast seeks (scrub_proxy.py)
    options: dict[str, Any] = field(default_factory=dict)
    task_id: str = ""

    def params(self) -> dict[str, Any]:
        return {"backend": self.backend, "device": self.device, "conf": self.conf,
                "imgsz": self.imgsz, "max_frames": self.max_frames,
                "overlay_video": self.overlay_video, "frames_jpeg": self.frames_jpeg,
                "options": {k: str(v) for k, v in self.options.items()}}


def prepare_output(folder: Path) -> None:
    """Create ``folder`` and prove it is writable before any work is done."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"cannot write results to {folder}: {exc.strerror or exc}") from None


def _decode(source, max_frames: int | None, out: queue.Queue, stop: threading.Event,
            timings: dict[str, float]) -> None:
    """Producer thread: frames into ``out``, then ``_END`` (or the exception that ended it)."""
    started = time.perf_counter()
    item: Any = _END
    try:
        for frame in source.frames(max_frames):
            while not stop.is_set():
                try:
                    out.put(frame, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if stop.is_set():
                return
    except Exception as exc:  # handed to the consumer, which decides what it means
        item = exc
    finally:
        timings["decode_s"] = time.perf_counter() - started
    while not stop.is_set():
        try:
            out.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


def run(job: DetectJob, sink: EventSink, stop: threading.Event) -> Summary:
    """Process ``job``; raises ``RunCanceled``, ``AmbientPoseError`` subclasses or ``DecodeError``
    (after writing the results of the frames decoded before the damage)."""
    t0 = time.perf_counter()
    source = open_source(job.input)
    info: SourceInfo = source.info
    prepare_output(job.output)
    backend = create_backend(job.backend, BackendConfig(
        device=job.device, conf=job.conf, imgsz=job.imgsz, options=dict(job.options)))
    fmt = get_format(backend.keypoint_format)
    tracker = None
    if not backend.tracks_itself:
        from ambientpose_desktop.pipeline.tracking import PoseTracker

        tracker = PoseTracker(fps=info.fps or 30.0, conf=job.conf)
    total = min(info.frame_count, job.max_frames) if job.max_frames else info.frame_count
    sink.emit(Started(task=job.task_id, total_frames=total, fps=info.fps,
                      backend=backend.name, device=backend.device))
    logger.info("{}: {}x{}, {} frames at {:.3f} fps; backend {} on {}", Path(job.input).name,
                info.width, info.height, info.frame_count, info.fps, backend.name, backend.device)

    timings: dict[str, float] = {"load_s": time.perf_counter() - t0, "infer_s": 0.0}
    frames_in: queue.Queue = queue.Queue(maxsize=_QUEUE_FRAMES)
    decoder = threading.Thread(target=_decode, name="decode", daemon=True,
                               args=(source, job.max_frames, frames_in, stop, timings))
    rendered = RenderedOutputs(job.output, Path(job.input).stem, fmt, info.fps,
                               video=job.overlay_video, jpeg=job.frames_jpeg)
    proxy = None
    if job.scrub_proxy and info.kind == "video":
        from ambientpose_desktop.pipeline.scrub_proxy import ScrubProxyWriter

        proxy = ScrubProxyWriter(job.output)
    results: list[FramePoses] = []
    decode_error: DecodeError | None = None
    loop_start = time.perf_counter()
    decoder.start()
    try:
        while True:
            batch, end = _next_batch(frames_in, backend.batch_size, stop)
            if stop.is_set():
                raise RunCanceled(len(results))
            if isinstance(end, DecodeError):
                decode_error = end
            elif isinstance(end, Exception):
                raise end
            if batch:
                t = time.perf_counter()
                people = backend.infer([image for _, _, image in batch])
                timings["infer_s"] += time.perf_counter() - t
                for (index, ts, image), persons in zip(batch, people, strict=True):
                    if tracker is not None:
                        persons = tracker.update(persons, ts)
                    results.append(FramePoses(index, ts, persons))
                    rendered.add(image, persons)
                    if proxy is not None:
                        proxy.add(image)
                done = len(results)
                fps = done / max(time.perf_counter() - loop_start, 1e-9)
                eta = (total - done) / fps if total and fps else None
                sink.progress(Progress(
                    frame=done, total_frames=max(total, done), fps=round(fps, 2),
                    eta_s=None if eta is None else round(eta, 1),
                ), force=end is not None)
            if end is not None:
                break
        if tracker is not None:
            tracker.finish()
        outputs = rendered.finish(stop)
        if proxy is not None:
            outputs += proxy.finish()
    except BaseException:
        stop.set()
        rendered.abort()
        if proxy is not None:
            proxy.abort()
        raise
    finally:
        decoder.join(timeout=5)
        source.close()
        backend.close()

    if not results and decode_error is None:
        raise InputError(f"{Path(job.input).name} contains no decodable frames")
    if not job.max_frames or len(results) < job.max_frames:
        info.frame_count = len(results)  # exact: what decoding produced, not the header's claim
        if decode_error is None and info.kind == "video":
            from ambientpose_desktop.pipeline.frame_index import save_decoded_index

            outputs += save_decoded_index(source, job.output, len(results))
    info.timestamps = [round(f.timestamp, 6) for f in results]
    if len(results) > 1 and info.kind == "video":
        info.duration_s = round(results[-1].timestamp + 1.0 / (info.fps or 1.0), 6)
    timings["elapsed_s"] = time.perf_counter() - t0
    timings["model_fps"] = len(results) / timings["infer_s"] if timings["infer_s"] else 0.0
    timings["fps"] = len(results) / max(time.perf_counter() - loop_start, 1e-9)
    names = info.image_names
    folder = TaskFolder(job.output)
    write_alphapose(folder.pose_json, results, names)
    PoseTable.from_frames(results, fmt.num_keypoints).save(folder.pose_table)
    summary = Summary(
        source=info, keypoint_format=fmt.name, backend=backend.name, device=backend.device,
        params=job.params(), frames_processed=len(results),
        persons=sum(len(f.persons) for f in results),
        tracks=len({p.idx for f in results for p in f.persons}),
        timings={k: round(v, 4) for k, v in timings.items()},
        warnings=[str(decode_error)] if decode_error else [],
        outputs=[folder.pose_json.name, folder.pose_table.name, folder.summary.name, *outputs],
        python=sys.executable,
    )
    summary.write(folder.summary)
    if decode_error is not None:
        raise DecodeError(f"{decode_error}; results for those frames were saved",
                          decode_error.frames_decoded)
    return summary


def _next_batch(frames_in: queue.Queue, size: int, stop: threading.Event):
    """Up to ``size`` frames, and the end marker or exception if the stream ended."""
    batch = []
    while len(batch) < size and not stop.is_set():
        try:
            item = frames_in.get(timeout=0.1 if not batch else 0.005)
        except queue.Empty:
            if batch:
                return batch, None
            continue
        if item is _END:
            return batch, True
        if isinstance(item, Exception):
            return batch, item
        batch.append(item)
    return batch, None
