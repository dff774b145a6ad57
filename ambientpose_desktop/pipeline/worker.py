"""The detection run behind ``ambientpose detect``, as a short list of stages.

decode (``frame_feed``, its own thread) → infer (the backend, in batches) → per-frame stages
(``frame_stages``: pose NMS, then online tracking, or an id per person for unrelated stills)
→ per-frame sinks (the results table, appearance descriptors, the scrub proxy; the writer on
its own thread behind a bounded queue) → at the end, the offline re-linking pass and the
layers of results (raw, linked), the overlay outputs drawn with the linked ids, the frame
index and the summary (``pipeline/identity.py``). The model never waits on I/O and memory
stays flat however long the video. Every ``checkpoint_every`` frames the people found so far
are saved (``pipeline/checkpoint.py``); a resumed run replays them and decodes on from there.
A stop flag (set by SIGTERM/SIGINT) ends the run within one batch; results are written
under their final names only at the end, through a temporary name, so a cancel or crash
never leaves a half file behind.
"""

from __future__ import annotations

import sys
import threading
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from loguru import logger

from ambientpose_desktop.core.chunks import lead_in_frames
from ambientpose_desktop.core.errors import DecodeError, InputError, OutputError
from ambientpose_desktop.core.events import Progress, Started
from ambientpose_desktop.core.keypoints import get_format
from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.core.pose_table import PoseTable, PoseTableBuilder
from ambientpose_desktop.core.summary import SourceInfo, Summary
from ambientpose_desktop.core.task_folder import SCRUB_PROXY, TaskFolder
from ambientpose_desktop.pipeline.appearance import AppearanceSink
from ambientpose_desktop.pipeline.backends import BackendConfig, check_task_params, create_backend
from ambientpose_desktop.pipeline.checkpoint import Checkpoint, Saved
from ambientpose_desktop.pipeline.events_sink import EventSink
from ambientpose_desktop.pipeline.frame_feed import Decoded, FrameFeed
from ambientpose_desktop.pipeline.frame_stages import FrameResult, StagesThread, run_stages
from ambientpose_desktop.pipeline.helper_threads import opencv_on_one_thread
from ambientpose_desktop.pipeline.identity import identity_stages, link_layers
from ambientpose_desktop.pipeline.outputs import RenderedOutputs, draw_source
from ambientpose_desktop.pipeline.stills import tracked_as_sequence
from ambientpose_desktop.pipeline.video import VideoSource, open_source


class RunCanceled(Exception):
    """The stop flag was set; ``frames`` were processed before that."""

    def __init__(self, frames: int) -> None:
        super().__init__(f"canceled after {frames} frames")
        self.frames = frames


@dataclass
class DetectJob:
    input: Path
    output: Path
    params: TaskParams = field(default_factory=TaskParams)
    task_id: str = ""
    scrub_proxy: bool = True  # small 360p scrub.mp4 for the viewer's fast seeks (scrub_proxy.py)
    resume: bool = False  # carry on from the output folder's checkpoint when it is usable
    # A chunk of a long video run on a cluster: frames ``start`` to ``stop - 1`` (``stop``
    # ``None``: to the end), raw results into ``output`` (a chunk folder) for the join.
    frame_range: tuple[int, int | None] | None = None
    join_chunks: int = 0  # the join of this many chunk folders under ``output``


def prepare_output(folder: Path) -> None:
    """Create ``folder`` and prove it is writable before any work is done."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"cannot write results to {folder}: {exc.strerror or exc}") from None


class _Sinks:
    """Where each ready frame goes: the results table with its appearance descriptors, and
    the scrub proxy."""

    def __init__(self, job: DetectJob, info: SourceInfo, fmt, resumed: int,
                 own_from: int = 0, below_model: bool = False) -> None:
        self.table = PoseTableBuilder(fmt.num_keypoints)
        self.appearance = AppearanceSink(fmt)
        self.timestamps = array("d")  # seconds of each frame (8 bytes, not a float object)
        self.own_from = own_from  # a chunk's first own frame: the lead-in is not in its proxy
        self.proxy = None
        self._job = job
        self._resumed = resumed  # frames replayed from a checkpoint: no image, no proxy yet
        if job.scrub_proxy and info.kind == "video":
            from ambientpose_desktop.pipeline.scrub_proxy import ScrubProxyWriter

            self.proxy = ScrubProxyWriter(job.output, _PROXY_TAIL if resumed else SCRUB_PROXY,
                                          (info.width, info.height), below_model)

    def add(self, item: FrameResult) -> None:
        self.table.add(item.persons)
        self.appearance.add(item)
        self.timestamps.append(item.timestamp)
        if self.proxy is not None and item.index >= max(self._resumed, self.own_from):
            self.proxy.add(item.image if item.scaled is None else item.scaled)

    def finish(self, stop: threading.Event) -> list[str]:
        if self.proxy is None:
            return []
        written = self.proxy.finish()
        if not self._resumed:
            return written
        if not written and self.table.num_frames > self._resumed:
            return []  # the part after the checkpoint failed: none rather than a short one
        return _proxy_of_resumed_run(self._job, self._resumed, stop)

    def abort(self) -> None:
        if self.proxy is not None:
            self.proxy.abort()


_PROXY_HEAD, _PROXY_TAIL = f".head.{SCRUB_PROXY}", f".tail.{SCRUB_PROXY}"


def _proxy_of_resumed_run(job: DetectJob, resumed: int, stop: threading.Event) -> list[str]:
    """A resumed run wrote the proxy of the frames after its checkpoint; the frames before are
    decoded once more (no model: a fraction of their first run's cost), encoded apart and
    joined in front, so that the proxy's frame i is still the video's frame i."""
    from ambientpose_desktop.pipeline.concat import concat_videos
    from ambientpose_desktop.pipeline.scrub_proxy import ScrubProxyWriter

    folder = Path(job.output)
    head, tail = folder / _PROXY_HEAD, folder / _PROXY_TAIL
    source = open_source(job.input)
    writer = ScrubProxyWriter(folder, _PROXY_HEAD, (source.info.width, source.info.height))
    frames = source.frames(resumed)
    try:
        for _, _, rgb in frames:
            if stop.is_set():
                raise RunCanceled(resumed)
            writer.add(rgb)
        if not writer.finish():
            return []
        if not tail.exists():  # resumed at the very end: the head is the whole proxy
            head.replace(folder / SCRUB_PROXY)
            return [SCRUB_PROXY]
        if concat_videos([head, tail], folder / SCRUB_PROXY):
            return [SCRUB_PROXY]
        logger.warning("the scrub proxy's two parts do not fit together; there is none")
        return []
    except DecodeError as exc:  # the proxy is optional: never fail a run over it
        logger.warning("no scrub proxy: {}", exc)
        writer.abort()
        return []
    except BaseException:
        writer.abort()
        raise
    finally:
        frames.close()
        source.close()
        for leftover in (head, tail, ScrubProxyWriter.partial(folder)):  # the last: the
            leftover.unlink(missing_ok=True)  # interrupted run's unfinished proxy


def _render_linked(job: DetectJob, linked: PoseTable, fmt, info: SourceInfo,
                   stop: threading.Event) -> list[str]:
    """``overlay.mp4`` and the JPEG folders, drawn after re-linking so they show the ids of
    the results (one more decoding pass, only when they were asked for)."""
    params = job.params
    if not (params.overlay_video or params.frames_jpeg):
        return []
    logger.info("drawing the overlay outputs with the linked identities")
    rendered = RenderedOutputs(job.output, Path(job.input).stem, fmt, info.fps,
                               video=params.overlay_video, jpeg=params.frames_jpeg)

    def check() -> None:
        if stop.is_set():
            raise RunCanceled(linked.num_frames)

    try:
        draw_source(rendered, Path(job.input), linked, info.timestamps, check,
                    limit=linked.num_frames)
        return rendered.finish(stop)
    except BaseException:
        rendered.abort()
        raise


def _replay(saved: Saved, stages, sinks: _Sinks, source) -> None:
    """Rebuild what the stages after the checkpoint (the ids) and the sinks hold, from the
    saved frames: the online tracker gets exactly the people it got the first time."""
    for index in range(saved.frames):
        item = FrameResult(index, float(saved.timestamps[index]), None, saved.persons[index],
                           saved.appearance[index])
        for ready in run_stages(stages, [item]):
            sinks.add(ready)
    if isinstance(source, VideoSource):  # the frame index covers the frames decoded before
        source.decoded_pts.extend(saved.pts.tolist())
        source.decoded_keyframe.extend(saved.keyframes.astype(np.uint8).tobytes())


def _infer(backend, batch: list[Decoded], info: SourceInfo) -> list:
    """People per decoded frame, from the prescaled frames when the feed made them all."""
    if batch and all(d.scaled is not None for d in batch):
        return backend.infer([d.scaled for d in batch], source_size=(info.width, info.height))
    return backend.infer([d.image for d in batch])


def run(job: DetectJob, sink: EventSink, stop: threading.Event) -> Summary:
    """Process ``job``; raises ``RunCanceled``, ``AmbientPoseError`` subclasses or ``DecodeError``
    (after writing the results of the frames decoded before the damage)."""
    t0 = time.perf_counter()
    params = check_task_params(job.params)
    if job.join_chunks:
        from ambientpose_desktop.pipeline.chunk_join import join_chunks

        return join_chunks(job, sink, stop)
    source = open_source(job.input)
    info: SourceInfo = source.info
    prepare_output(job.output)
    backend = create_backend(params.backend, BackendConfig.from_params(params))
    fmt = get_format(backend.keypoint_format)
    sequence = info.kind == "video" or tracked_as_sequence(source.files, params.image_folder)
    chunk = job.frame_range is not None  # a chunk is what a lost worker reruns: no checkpoint
    checkpoint = Checkpoint(job.output, job.input, params.to_dict(), fmt,
                            0 if chunk else params.checkpoint_every,
                            source if info.kind == "video" else None)
    saved = None
    if job.resume and not chunk and backend.tracks_itself:  # its tracker: not ours to rebuild
        logger.info("the {} backend tracks by itself: a run cannot resume, it starts over",
                    backend.name)
    elif job.resume and not chunk:
        saved = checkpoint.load()
        if saved is not None and params.max_frames and saved.frames > params.max_frames:
            logger.warning("checkpoint ignored, starting over: it holds {} frames, more than "
                           "--max-frames {}", saved.frames, params.max_frames)
            saved = None
    if saved is None:
        checkpoint.delete()  # an earlier run's: this one starts over
    resumed = saved.frames if saved is not None else 0
    stages = identity_stages(fmt, info.fps, params.conf, sequence, backend.tracks_itself,
                             tap=checkpoint)
    total = min(info.frame_count, params.max_frames) if params.max_frames else info.frame_count
    own_from, first, end = 0, resumed, params.max_frames
    if job.frame_range is not None:  # a chunk: the lead-in, then its own frames
        own_from, end = job.frame_range
        first = own_from - lead_in_frames(own_from, info.fps)
        total = max(0, (end if end is not None else info.frame_count) - own_from)
        backend.seek(first)
    sink.emit(Started(task=job.task_id, total_frames=total, fps=info.fps,
                      backend=backend.name, device=backend.device, resumed_at=resumed))
    logger.info("{}: {}x{}, {} frames at {:.3f} fps; backend {} on {}", Path(job.input).name,
                info.width, info.height, info.frame_count, info.fps, backend.name, backend.device)

    timings: dict[str, float] = {"load_s": time.perf_counter() - t0, "infer_s": 0.0}
    # The helper threads yield to a CPU model (``helper_threads``); a GPU model's thread
    # mostly waits for the device, and the helpers then set the pace.
    below_model = backend.device == "cpu"
    sinks = _Sinks(job, info, fmt, resumed, own_from=own_from, below_model=below_model)
    if saved is not None:
        replay_start = time.perf_counter()
        _replay(saved, stages[stages.index(checkpoint) + 1:], sinks, source)
        timings["replay_s"] = time.perf_counter() - replay_start
        backend.seek(resumed)
        logger.info("resumed at frame {} from the checkpoint", resumed)
        sink.progress(Progress(frame=resumed, total_frames=max(total, resumed), fps=0.0,
                               eta_s=None), force=True)
    if isinstance(source, VideoSource) and backend.device == "cpu":
        source.decode_on_one_thread()
    prescale = backend.prescaler(info.width, info.height) if info.kind == "video" else None
    feed = FrameFeed(source, end, stop, start=first, prescale=prescale, below_model=below_model)
    decode_error: DecodeError | None = None
    seen = resumed  # frames through the stages and sinks (counted on their thread)
    handed = resumed  # frames handed to them
    loop_start = time.perf_counter()

    def report(count: int, force: bool = False) -> None:
        nonlocal seen
        if count:
            checkpoint.save_if_due()
        seen += count
        done = max(0, seen - (own_from - first)) if chunk else seen  # not the lead-in
        fps = (seen - resumed) / max(time.perf_counter() - loop_start, 1e-9)
        eta = (total - done) / fps if total and fps else None
        sink.progress(Progress(
            frame=done, total_frames=max(total, done), fps=round(fps, 2),
            eta_s=None if eta is None else round(eta, 1),
        ), force=force)

    after = StagesThread(stages, sinks.add, report, below_model=below_model)
    restore_opencv = opencv_on_one_thread() if below_model else None
    feed.start()
    try:
        while True:
            batch, end = feed.next_batch(backend.batch_size)
            if stop.is_set():
                raise RunCanceled(handed)
            if isinstance(end, DecodeError):
                decode_error = end
            elif isinstance(end, Exception):
                raise end
            if batch:
                t = time.perf_counter()
                people = _infer(backend, batch, info)
                timings["infer_s"] += time.perf_counter() - t
                after.put([FrameResult(d.index, d.timestamp, d.image, persons,
                                       scaled=None if d.scaled is None else d.scaled.image)
                           for d, persons in zip(batch, people, strict=True)])
                handed += len(batch)
            if end is not None:
                break
        after.finish()
        if handed > resumed:
            report(0, force=True)
        outputs = sinks.finish(stop)
    except BaseException:
        stop.set()
        after.abort()
        sinks.abort()
        raise
    finally:
        feed.join(timeout=5)
        timings["decode_s"] = feed.decode_s
        source.close()
        backend.close()
        if restore_opencv is not None:
            restore_opencv()

    frames = sinks.table.num_frames
    if job.frame_range is not None:
        from ambientpose_desktop.pipeline.chunk_join import save_chunk

        timings["elapsed_s"] = time.perf_counter() - t0
        return save_chunk(job, source, sinks, first, backend, fmt, timings, outputs,
                          decode_error)
    if not frames and decode_error is None:
        raise InputError(f"{Path(job.input).name} contains no decodable frames")
    if not params.max_frames or frames < params.max_frames:
        info.frame_count = frames  # exact: what decoding produced, not the header's claim
        if decode_error is None and info.kind == "video":
            from ambientpose_desktop.pipeline.frame_index import save_decoded_index

            outputs += save_decoded_index(source, job.output, frames)
    info.timestamps = [round(t, 6) for t in sinks.timestamps]
    if frames > 1 and info.kind == "video":
        info.duration_s = round(info.timestamps[-1] + 1.0 / (info.fps or 1.0), 6)
    timings["elapsed_s"] = time.perf_counter() - t0
    timings["model_fps"] = frames / timings["infer_s"] if timings["infer_s"] else 0.0
    timings["fps"] = (frames - resumed) / max(time.perf_counter() - loop_start, 1e-9)
    timings["checkpoint_s"] = checkpoint.save_s
    layers = link_layers(sinks.table.build(), sinks.appearance.build(), sinks.timestamps,
                         fmt, info.fps, params.people,
                         relinked=sequence and not backend.tracks_itself)
    timings["relink_s"] = layers.relink_s
    folder = TaskFolder(job.output)
    written = layers.save(folder, info.image_names)
    outputs = written + _render_linked(job, layers.linked, fmt, info, stop) + outputs
    linked = layers.linked
    summary = Summary(
        source=info, keypoint_format=fmt.name, backend=backend.name, device=backend.device,
        params=params.to_dict(), frames_processed=frames, persons=linked.num_rows,
        tracks=len(set(linked.idx.tolist())), rejected=len(layers.raw.rejected_rows),
        timings={k: round(v, 4) for k, v in timings.items()},
        warnings=[*source.warnings, *([str(decode_error)] if decode_error else [])],
        outputs=[*outputs, folder.summary.name],
        python=sys.executable,
    )
    summary.write(folder.summary)
    checkpoint.delete()  # the results are complete: nothing to resume
    if decode_error is not None:
        raise DecodeError(f"{decode_error}; results for those frames were saved",
                          decode_error.frames_decoded)
    return summary
