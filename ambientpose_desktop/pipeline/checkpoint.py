"""Checkpoints: what an interrupted run needs to carry on, saved as the run goes.

A checkpoint is the per-frame results so far *before* the ids are given (the people after
pose NMS, their appearance descriptors, each frame's timestamp and decoded pts), not the
tracker's state: on resume the online tracker is replayed over the saved people (cheap and
deterministic: the same input gives the same ids, no pickled library object), and decoding
goes on from the next frame with an exact seek (``VideoSource.frames(start=…)``). The offline
re-linking pass runs at the end over every frame as before, so a resumed run gives the
result of an uninterrupted one.

On disk it is the task folder's ``checkpoint/`` folder: one ``part-<first frame>.npz`` per
interval (only the new frames are written each time, so the cost does not grow with the
length of the video) and ``manifest.json``, which names the parts, the input (size and
modification time) and the parameters that decide the results. Each file is written
atomically and the manifest last, so a crash at any moment leaves the previous checkpoint
whole; a part the manifest does not name is never read. A checkpoint that fails to load, or
was made for another input or other parameters, is ignored with a log line and the run
starts over.
"""

from __future__ import annotations

import io
import json
import shutil
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from loguru import logger

from ambientpose_desktop.core.atomic import atomic_write_bytes, atomic_write_text
from ambientpose_desktop.core.poses import Person
from ambientpose_desktop.core.row_buffer import RowBuffer
from ambientpose_desktop.core.task_folder import CHECKPOINT_MANIFEST as MANIFEST
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.pipeline.appearance import DESCRIPTOR_SIZE, Sampler, describe

VERSION = 1
# Parameters that change what is written but not the per-frame results: a checkpoint stays
# good when only these differ (e.g. a longer --max-frames, or an overlay asked for later).
_NOT_RESULTS = frozenset({"checkpoint_every", "max_frames", "overlay_video", "frames_jpeg"})


class CheckpointError(Exception):
    """Why a checkpoint cannot be used (said in the log, then the run starts over)."""


def results_params(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters that decide the per-frame results: a checkpoint is for these only."""
    return {k: v for k, v in params.items() if k not in _NOT_RESULTS}


def input_stamp(path: Path) -> dict[str, Any]:
    """What tells a replaced input from the one the checkpoint was made for."""
    stat = Path(path).stat()
    return {"name": Path(path).name, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


_COLUMNS = ("counts", "timestamps", "keypoints", "boxes", "scores", "idx", "appearance")


class _Frames:
    """The frames recorded since the last save, as growing arrays (``core.row_buffer``)."""

    def __init__(self, num_keypoints: int) -> None:
        self.counts = RowBuffer((), np.int64)
        self.timestamps = RowBuffer((), np.float64)
        self.keypoints = RowBuffer((num_keypoints, 3), np.float32)
        self.boxes = RowBuffer((4,), np.float64)  # as the tracker saw them: exact replay
        self.scores = RowBuffer((), np.float64)
        self.idx = RowBuffer((), np.int32)  # a backend's own ids; -1 before tracking
        self.appearance = RowBuffer((DESCRIPTOR_SIZE,), np.float16)

    def __len__(self) -> int:
        return len(self.counts)

    def add(self, timestamp: float, persons: list[Person], descriptors: np.ndarray) -> None:
        self.counts.append(len(persons))
        self.timestamps.append(timestamp)
        if persons:
            self.keypoints.extend(np.stack([p.keypoints for p in persons]))
            self.boxes.extend(np.asarray([p.box for p in persons], np.float64))
            self.scores.extend(np.asarray([p.score for p in persons], np.float64))
            self.idx.extend(np.asarray([p.idx for p in persons], np.int32))
            self.appearance.extend(descriptors)

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name).array() for name in _COLUMNS}


@dataclass
class Saved:
    """A loaded checkpoint: ``frames`` frames done, their people per frame, and the decoded
    pts and keyframe flags of a video (for the frame index)."""

    frames: int
    timestamps: np.ndarray
    persons: list[list[Person]]
    appearance: list[np.ndarray]
    pts: np.ndarray
    keyframes: np.ndarray


class Checkpoint:
    """The checkpoint of one run: ``load`` (on resume), then the object itself as a frame
    stage right after pose NMS (``identity_stages(tap=…)``), ``save_if_due`` after each
    batch, and ``delete`` once the results are written. Only the frames since the last save
    are held here: the parts on disk have the others."""

    def __init__(self, folder: Path, input_path: Path, params: dict[str, Any], fmt,
                 every: int, source=None) -> None:
        self.path = TaskFolder(folder).checkpoint
        self._stamp = input_stamp(input_path)
        self._params = results_params(params)
        self._every = every
        self._source = source  # a ``VideoSource``: its decoded pts go in each part
        self._sampler = Sampler(fmt)
        self._frames = _Frames(fmt.num_keypoints)
        self._num_keypoints = fmt.num_keypoints
        self._parts: list[dict[str, Any]] = []
        self._saved_frames = 0  # frames in the parts on disk
        self.save_s = 0.0

    # -- the frame stage -------------------------------------------------------------------
    def feed(self, item) -> list:
        """Record a frame (after pose NMS, before ids) with its appearance descriptors,
        which the results keep too (``item.descriptors``): they are computed once."""
        item.descriptors = describe(item.image, item.persons, self._sampler)
        if self._every > 0:
            self._frames.add(item.timestamp, item.persons, item.descriptors)
        return [item]

    def flush(self) -> list:
        return []

    # -- saving ------------------------------------------------------------------------------
    def save_if_due(self) -> bool:
        """Write the frames recorded since the last save when they make an interval. A
        checkpoint is a safety net, never a reason to fail: one that cannot be written (a
        full disk) is said in the log and the run goes on without (the last one stays)."""
        if self._every <= 0 or len(self._frames) < self._every:
            return False
        started = time.perf_counter()
        try:
            self._save()
        except OSError as exc:
            logger.warning("cannot save a checkpoint ({}); this run goes on without",
                           exc.strerror or exc)
            self._every, self._frames = 0, _Frames(self._num_keypoints)
            return False
        finally:
            self.save_s += time.perf_counter() - started
        return True

    def _save(self) -> None:
        start, stop = self._saved_frames, self._saved_frames + len(self._frames)
        arrays = self._frames.arrays()
        if self._source is not None:
            arrays["pts"] = np.asarray(self._source.decoded_pts[start:stop], np.int64)
            arrays["keyframes"] = np.frombuffer(
                bytes(self._source.decoded_keyframe[start:stop]), np.uint8).astype(bool)
        self.path.mkdir(parents=True, exist_ok=True)
        name = f"part-{start:09d}.npz"
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        atomic_write_bytes(self.path / name, buffer.getvalue())
        parts = [*self._parts, {"name": name, "start": start, "stop": stop,
                                "rows": len(arrays["scores"])}]
        manifest = {"version": VERSION, "input": self._stamp, "params": self._params,
                    "frames": stop, "parts": parts}
        atomic_write_text(self.path / MANIFEST, json.dumps(manifest, indent=1))
        self._parts, self._saved_frames = parts, stop
        self._frames = _Frames(self._num_keypoints)

    def delete(self) -> None:
        """Remove the checkpoint from disk; what is saved next starts again at frame 0."""
        shutil.rmtree(self.path, ignore_errors=True)
        self._parts, self._saved_frames = [], 0
        self._frames = _Frames(self._num_keypoints)

    # -- loading ---------------------------------------------------------------------------
    def load(self) -> Saved | None:
        """The saved frames, now also this checkpoint's first frames; ``None`` (after a log
        line saying why) when there is none or it cannot be used."""
        if not (self.path / MANIFEST).is_file():
            return None
        try:
            saved, parts = self._read()
        except CheckpointError as exc:
            logger.warning("checkpoint ignored, starting over: {}", exc)
            self.delete()
            return None
        self._parts = parts
        self._saved_frames = saved.frames
        return saved

    def _read(self) -> tuple[Saved, list[dict[str, Any]]]:
        try:
            manifest = json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"its manifest cannot be read ({exc})") from None
        if not isinstance(manifest, dict) or manifest.get("version") != VERSION:
            raise CheckpointError("it is of another version")
        if manifest.get("input") != self._stamp:
            raise CheckpointError("it was made for another input (or the file changed since)")
        if manifest.get("params") != json.loads(json.dumps(self._params)):
            raise CheckpointError("it was made with other parameters")
        parts, arrays = manifest.get("parts") or [], []
        expected = 0
        for part in parts:
            data = self._read_part(part, expected)
            arrays.append(data)
            expected = part["stop"]
        if expected != manifest.get("frames") or not parts:
            raise CheckpointError("its parts do not add up to its frames")
        joined = {name: np.concatenate([a[name] for a in arrays]) for name in arrays[0]}
        counts = joined["counts"]
        bounds = np.concatenate([[0], np.cumsum(counts)])
        persons = [[Person(joined["keypoints"][r], tuple(joined["boxes"][r].tolist()),
                           float(joined["scores"][r]), int(joined["idx"][r]))
                    for r in range(bounds[f], bounds[f + 1])] for f in range(len(counts))]
        appearance = [joined["appearance"][bounds[f]:bounds[f + 1]] for f in range(len(counts))]
        saved = Saved(frames=expected, timestamps=joined["timestamps"], persons=persons,
                      appearance=appearance, pts=joined.get("pts", np.zeros(0, np.int64)),
                      keyframes=joined.get("keyframes", np.zeros(0, bool)))
        return saved, parts

    def _read_part(self, part: Any, start: int) -> dict[str, np.ndarray]:
        try:
            name, stop, rows = part["name"], int(part["stop"]), int(part["rows"])
            if int(part["start"]) != start or stop <= start or "/" in name or "\\" in name:
                raise CheckpointError(f"part {name} is out of order")
            with np.load(self.path / name, allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
        except CheckpointError:
            raise
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
            raise CheckpointError(f"a part cannot be read ({exc})") from None
        frames = stop - start
        sizes = {"counts": frames, "timestamps": frames, "keypoints": rows, "boxes": rows,
                 "scores": rows, "idx": rows, "appearance": rows}
        if self._source is not None:
            sizes.update(pts=frames, keyframes=frames)
        for key, size in sizes.items():
            if key not in arrays or len(arrays[key]) != size:
                raise CheckpointError(f"part {name} is incomplete ({key})")
        if arrays["keypoints"].shape[1:] != (self._num_keypoints, 3) or \
                arrays["appearance"].shape[1:] != (DESCRIPTOR_SIZE,):
            raise CheckpointError(f"part {name} has poses of another keypoint format")
        if int(arrays["counts"].sum()) != rows:
            raise CheckpointError(f"part {name} does not add up")
        return arrays
