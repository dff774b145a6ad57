"""Chunks of a long video, run on several cluster workers, joined into one run's results.

A chunk's worker (``detect --start-frame A --stop-frame B``) leaves its raw layer, lead-in
included, and its ``ChunkRecord`` in ``chunks/<n>/`` (``save_chunk``). The join (``detect
--join-chunks N``) then writes the task folder as a single run would (``join_chunks``):

1. **the seam**: each chunk's tracker began fresh in its lead-in (``core.chunks``); the
   tracks it has in those frames are matched, detection by detection, with the earlier
   chunks' ids in the same frames, and continue under them; its other tracks get new ids
   after every id so far, in the order its tracker made them (``stitch``). The table is then
   what one tracker would have produced, up to the numbering;
2. the offline re-linking over the whole (``identity.link_layers``), the raw and linked
   layers, the overlay outputs, the scrub proxy (the chunks' parts remuxed one after the
   other), the frame index and ``summary.json``, under the names a single run uses.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import numpy as np
from loguru import logger

from ambientpose_desktop.core.chunks import ChunkRecord
from ambientpose_desktop.core.errors import DecodeError, InputError, OutputError
from ambientpose_desktop.core.keypoints import get_format
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.core.raw_layer import RawLayer
from ambientpose_desktop.core.summary import SourceInfo, Summary
from ambientpose_desktop.core.task_folder import FRAME_INDEX, SCRUB_PROXY, TaskFolder
from ambientpose_desktop.pipeline.events_sink import EventSink

SEAM_IOU = 0.5  # a lead-in detection and an earlier chunk's in the same frame: one person


def save_chunk(job, source, sinks, first: int, backend, fmt, timings: dict[str, float],
               outputs: list[str], decode_error: DecodeError | None) -> Summary:
    """A chunk's end: its raw layer (lead-in first) and record into its folder; a
    ``Summary`` of its own frames for the worker's ``finished`` event."""
    start, stop = job.frame_range
    table = sinks.table.build()
    frames = table.num_frames
    if not frames and decode_error is None and start == 0:
        raise InputError(f"{Path(job.input).name} contains no decodable frames")
    lead = min(start - first, frames)
    folder = TaskFolder(job.output)
    RawLayer(table, sinks.appearance.build(), table.idx.copy()).save(folder.raw_table)
    pts = list(source.decoded_pts[lead:frames])
    complete = len(pts) == frames - lead and not source.pts_missing
    record = ChunkRecord(
        index=int(folder.path.name) if folder.path.name.isdigit() else 0, start=start,
        stop=stop, lead_in=lead, frames=frames - lead, keypoint_format=fmt.name,
        backend=backend.name, device=backend.device, relinked=not backend.tracks_itself,
        timings={k: round(v, 4) for k, v in timings.items()},
        pts=pts if complete else [],
        keyframes=[bool(k) for k in source.decoded_keyframe[lead:frames]] if complete else [],
        times=list(sinks.timestamps[lead:]), warning=str(decode_error or ""))
    record.write(folder.chunk_record)
    own = table.frames_between(lead, frames)
    summary = Summary(
        source=source.info, keypoint_format=fmt.name, backend=backend.name,
        device=backend.device, params=job.params.to_dict(), frames_processed=frames - lead,
        persons=own.num_rows, tracks=len(set(own.idx.tolist())), timings=record.timings,
        outputs=[*outputs, folder.raw_table.name, folder.chunk_record.name],
        python=sys.executable)
    if decode_error is not None:
        raise DecodeError(f"{decode_error}; the chunk's results were saved",
                          decode_error.frames_decoded)
    return summary


def _rows_at(done: list[tuple[int, PoseTable]], frame: int) -> tuple[np.ndarray, np.ndarray]:
    """Boxes and (stitched) ids of absolute ``frame`` in the chunks joined so far."""
    for start, table in reversed(done):
        if start <= frame < start + table.num_frames:
            rows = table.rows(frame - start)
            return table.boxes[rows], table.idx[rows]
    return np.zeros((0, 4), np.float32), np.zeros(0, np.int32)


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one ``x, y, w, h`` box with each of ``boxes``."""
    x0, y0 = np.maximum(box[0], boxes[:, 0]), np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[0] + box[2], boxes[:, 0] + boxes[:, 2])
    y1 = np.minimum(box[1] + box[3], boxes[:, 1] + boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    union = box[2] * box[3] + boxes[:, 2] * boxes[:, 3] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def _seam(done: list[tuple[int, PoseTable]], lead: PoseTable, lead_start: int,
          wanted: set[int]) -> dict[int, int]:
    """Online ids of a chunk's lead-in (``wanted``: those that go on into its own frames)
    → the ids of the same people in the chunks before, matched in the last lead-in frame
    each was seen in."""
    candidates = []
    frame_of_row = lead.frame_of_row()
    for y in sorted(wanted):
        rows = np.flatnonzero(lead.idx == y)
        if not len(rows):
            continue
        row = rows[-1]
        frame = lead_start + int(frame_of_row[row])
        boxes, ids = _rows_at(done, frame)
        if not len(ids):
            continue
        overlap = _iou(lead.boxes[row], boxes)
        best = int(np.argmax(overlap))
        if overlap[best] >= SEAM_IOU and ids[best] >= 0:
            candidates.append((-frame, -float(overlap[best]), y, int(ids[best])))
    mapping: dict[int, int] = {}
    taken: set[int] = set()
    for _, _, y, x in sorted(candidates):
        if x not in taken:
            mapping[y] = x
            taken.add(x)
    return mapping


def stitch(raws: list[RawLayer], records: list[ChunkRecord]) -> tuple[PoseTable, np.ndarray]:
    """The chunks' own frames as one online-tracker table (ids continued across each seam)
    and its appearance descriptors."""
    done: list[tuple[int, PoseTable]] = []
    appearances = []
    next_id = 1
    for raw, record in zip(raws, records, strict=True):
        table, lead = raw.table, record.lead_in
        own = table.frames_between(lead, table.num_frames)
        wanted = set(own.idx[own.idx >= 0].tolist())
        mapping = _seam(done, table.frames_between(0, lead), record.start - lead, wanted) \
            if lead and done else {}
        for y in sorted(wanted - set(mapping)):
            mapping[y] = next_id
            next_id += 1
        keys = np.fromiter(mapping, np.int64, len(mapping))
        values = np.fromiter(mapping.values(), np.int64, len(mapping))
        order = np.argsort(keys)
        position = np.searchsorted(keys[order], own.idx)
        ids = np.where(own.idx >= 0, values[order][np.minimum(position, len(keys) - 1)]
                       if len(keys) else -1, -1)
        own.idx = ids.astype(np.int32)
        done.append((record.start, own))
        appearances.append(raw.appearance[int(table.offsets[lead]):])
    return PoseTable.concat([t for _, t in done]), np.concatenate(appearances)


def _read_chunks(folder: TaskFolder, count: int) -> tuple[list[RawLayer], list[ChunkRecord]]:
    raws, records = [], []
    for index in range(count):
        chunk = folder.chunk(index)
        try:
            records.append(ChunkRecord.read(chunk.chunk_record))
            raws.append(RawLayer.load(chunk.raw_table))
        except (OSError, ValueError, KeyError) as exc:
            raise OutputError(f"the results of chunk {index + 1} cannot be read from "
                              f"{chunk.path}: {exc}") from None
    for before, after in zip(records, records[1:], strict=False):
        ended = before.stop is not None and before.start + before.frames < before.stop
        if after.start != before.start + before.frames and not (ended and not after.frames):
            raise OutputError(f"chunks do not follow each other: one ends at frame "
                              f"{before.start + before.frames}, the next begins at {after.start}")
    return raws, records


def _timestamps(source, records: list[ChunkRecord]) -> list[float]:
    """Seconds from the first frame, made as a single run makes them: from each frame's
    presentation time where every chunk had one."""
    if all(r.pts or not r.frames for r in records):
        times = [source.seconds(p) for r in records for p in r.pts]
    else:
        times = [t for r in records for t in r.times]
    first = times[0] if times else 0.0
    return [t - first for t in times]


def _join_proxies(parts: list[Path], folder: TaskFolder) -> list[str]:
    """The chunks' scrub proxies one after the other (proxy frame ``i`` is still frame
    ``i``); [] when a part is missing or they do not fit together."""
    import av

    from ambientpose_desktop.pipeline.concat import concat_videos

    if not parts or not all(p.is_file() for p in parts):
        return []
    try:
        if concat_videos(parts, folder.scrub_proxy):
            return [SCRUB_PROXY]
        logger.warning("the chunks' scrub proxies do not fit together; there is none")
    except (av.error.FFmpegError, OSError) as exc:  # the proxy is optional
        logger.warning("cannot join the chunks' scrub proxies: {}", exc)
    return []


def join_chunks(job, sink: EventSink, stop: threading.Event) -> Summary:
    """Write the task folder ``job.output`` from its ``job.join_chunks`` chunk folders."""
    from ambientpose_desktop.pipeline.frame_index import FrameIndex
    from ambientpose_desktop.pipeline.identity import link_layers
    from ambientpose_desktop.pipeline.video import open_source
    from ambientpose_desktop.pipeline.worker import _render_linked

    started = time.perf_counter()
    params = job.params
    folder = TaskFolder(job.output)
    raws, records = _read_chunks(folder, job.join_chunks)
    logger.info("joining {} chunks of {} frames", len(records),
                sum(r.frames for r in records))
    source = open_source(job.input)
    try:
        info: SourceInfo = source.info
        times = _timestamps(source, records)
    finally:
        source.close()
    fmt = get_format(records[0].keypoint_format)
    table, appearance = stitch(raws, records)
    frames = table.num_frames
    if stop.is_set():
        from ambientpose_desktop.pipeline.worker import RunCanceled

        raise RunCanceled(frames)
    layers = link_layers(table, appearance, times, fmt, info.fps, params.people,
                         relinked=records[0].relinked)
    written = layers.save(folder, None)
    outputs = _join_proxies([folder.chunk(r.index).scrub_proxy for r in records
                             if r.frames], folder) if job.scrub_proxy else []
    if not params.max_frames or frames < params.max_frames:
        info.frame_count = frames
        if all(r.pts or not r.frames for r in records):
            FrameIndex.from_frames([p for r in records for p in r.pts],
                                   [k for r in records for k in r.keyframes],
                                   source.time_base).save(folder.frame_index, Path(job.input))
            outputs.append(FRAME_INDEX)
    info.timestamps = [round(t, 6) for t in times]
    if frames > 1:
        info.duration_s = round(info.timestamps[-1] + 1.0 / (info.fps or 1.0), 6)
    outputs = written + _render_linked(job, layers.linked, fmt, info, stop) + outputs
    timings = {
        "chunks": len(records),
        "load_s": max(r.timings.get("load_s", 0.0) for r in records),
        "infer_s": sum(r.timings.get("infer_s", 0.0) for r in records),
        "decode_s": sum(r.timings.get("decode_s", 0.0) for r in records),
        "relink_s": layers.relink_s,
        "join_s": time.perf_counter() - started,
    }
    # The workers' time, the chunks' and the join's (their wall time overlaps on a cluster).
    timings["elapsed_s"] = sum(r.timings.get("elapsed_s", 0.0) for r in records) \
        + timings["join_s"]
    timings["model_fps"] = frames / timings["infer_s"] if timings["infer_s"] else 0.0
    linked = layers.linked
    summary = Summary(
        source=info, keypoint_format=fmt.name, backend=records[0].backend,
        device=records[0].device, params=params.to_dict(), frames_processed=frames,
        persons=linked.num_rows, tracks=len(set(linked.idx.tolist())),
        rejected=len(layers.raw.rejected_rows),
        timings={k: round(v, 4) for k, v in timings.items()},
        warnings=[r.warning for r in records if r.warning],
        outputs=[*outputs, folder.summary.name], python=sys.executable)
    summary.write(folder.summary)
    return summary
