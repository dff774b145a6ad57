"""Pose results as flat NumPy arrays: opens in well under a second, frame lookup in O(1).

``pose.json`` is the interchange format (AlphaPose's), but parsing an hour of it takes many
seconds. The worker therefore also writes ``pose.npz`` beside it: every person of every frame
is one row, and ``offsets[i]:offsets[i + 1]`` are the rows of frame ``i``. The viewer and the
exporters read this; ``pose.json`` is converted once for tasks that predate it.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ambientpose_desktop.core.atomic import atomic_write_bytes
from ambientpose_desktop.core.poses import FramePoses, Person
from ambientpose_desktop.core.results import read_alphapose
from ambientpose_desktop.core.row_buffer import RowBuffer
from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.core.task_folder import TaskFolder

_VERSION = 1
_COLUMNS = ("offsets", "keypoints", "boxes", "scores", "idx")


@dataclass
class PoseTable:
    """All people of all frames; row ``r`` is one person in one frame."""

    offsets: np.ndarray  # (frames + 1,) int64
    keypoints: np.ndarray  # (rows, K, 3) float32: x, y, score
    boxes: np.ndarray  # (rows, 4) float32: x, y, w, h
    scores: np.ndarray  # (rows,) float32
    idx: np.ndarray  # (rows,) int32: track id, -1 if untracked
    _frame_of_row: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def num_frames(self) -> int:
        return len(self.offsets) - 1

    @property
    def num_keypoints(self) -> int:
        return self.keypoints.shape[1]

    @property
    def num_rows(self) -> int:
        """People over all frames."""
        return len(self.scores)

    def rows(self, frame: int) -> slice:
        return slice(int(self.offsets[frame]), int(self.offsets[frame + 1]))

    def count(self, frame: int) -> int:
        return int(self.offsets[frame + 1] - self.offsets[frame])

    def persons(self, frame: int) -> list[Person]:
        rows = self.rows(frame)
        return [
            Person(keypoints=self.keypoints[r], box=tuple(float(v) for v in self.boxes[r]),
                   score=float(self.scores[r]), idx=int(self.idx[r]))
            for r in range(rows.start, rows.stop)
        ]

    def frames(self, timestamps: Sequence[float] | None = None) -> Iterator[FramePoses]:
        for i in range(self.num_frames):
            ts = float(timestamps[i]) if timestamps is not None and i < len(timestamps) else 0.0
            yield FramePoses(i, ts, self.persons(i))

    def frames_between(self, start: int, stop: int) -> PoseTable:
        """The rows of frames ``start`` to ``stop - 1``, as a table whose frame 0 is ``start``."""
        start, stop = max(0, start), min(stop, self.num_frames)
        first, last = int(self.offsets[start]), int(self.offsets[stop])
        return PoseTable(offsets=self.offsets[start:stop + 1] - first,
                         keypoints=self.keypoints[first:last], boxes=self.boxes[first:last],
                         scores=self.scores[first:last], idx=self.idx[first:last])

    def frame_of_row(self) -> np.ndarray:
        """Frame index of every row, (rows,) int64 (computed once)."""
        if self._frame_of_row is None:
            self._frame_of_row = np.repeat(np.arange(self.num_frames), np.diff(self.offsets))
        return self._frame_of_row

    @classmethod
    def from_frames(cls, frames: Sequence[FramePoses], num_keypoints: int) -> PoseTable:
        counts = [len(f.persons) for f in frames]
        people = [p for f in frames for p in f.persons]
        offsets = np.zeros(len(frames) + 1, np.int64)
        np.cumsum(counts, out=offsets[1:])
        keypoints = np.zeros((len(people), num_keypoints, 3), np.float32)
        for r, person in enumerate(people):
            keypoints[r] = person.keypoints[:num_keypoints]
        return cls(
            offsets=offsets, keypoints=keypoints,
            boxes=np.asarray([p.box for p in people], np.float32).reshape(-1, 4),
            scores=np.asarray([p.score for p in people], np.float32),
            idx=np.asarray([p.idx for p in people], np.int32),
        )

    @classmethod
    def from_rows(cls, frames: np.ndarray, keypoints: np.ndarray, scores: np.ndarray,
                  idx: np.ndarray, num_frames: int) -> PoseTable:
        """A table of rows given with their frame numbers (results read from another format):
        rows keep their order within a frame; each box spans the row's keypoints that are
        there (x, y not NaN), as those formats carry no boxes."""
        order = np.argsort(np.asarray(frames, np.int64), kind="stable")
        offsets = np.zeros(num_frames + 1, np.int64)
        np.cumsum(np.bincount(np.asarray(frames, np.int64), minlength=num_frames),
                  out=offsets[1:])
        keypoints = np.asarray(keypoints, np.float32)[order]
        low = np.fmin.reduce(keypoints[..., :2], axis=1)  # NaN ignored, no warning
        high = np.fmax.reduce(keypoints[..., :2], axis=1)
        return cls(offsets=offsets, keypoints=keypoints,
                   boxes=np.concatenate([low, high - low], axis=1).astype(np.float32),
                   scores=np.asarray(scores, np.float32)[order],
                   idx=np.asarray(idx, np.int32)[order])

    def select(self, keep: np.ndarray) -> PoseTable:
        """The table of the rows where ``keep`` (rows,) bool is true, frames unchanged."""
        kept_per_frame = np.bincount(self.frame_of_row()[keep], minlength=self.num_frames)
        offsets = np.zeros_like(self.offsets)
        np.cumsum(kept_per_frame, out=offsets[1:])
        return PoseTable(offsets=offsets, keypoints=self.keypoints[keep], boxes=self.boxes[keep],
                         scores=self.scores[keep], idx=self.idx[keep])

    @classmethod
    def concat(cls, tables: Sequence[PoseTable]) -> PoseTable:
        """The frames of ``tables`` one after the other (consecutive chunks of one video)."""
        offsets = [np.zeros(1, np.int64)]
        for table in tables:
            offsets.append(table.offsets[1:] + offsets[-1][-1])
        return cls(offsets=np.concatenate(offsets),
                   keypoints=np.concatenate([t.keypoints for t in tables]),
                   boxes=np.concatenate([t.boxes for t in tables]),
                   scores=np.concatenate([t.scores for t in tables]),
                   idx=np.concatenate([t.idx for t in tables]))

    def save(self, path: Path, columns: Mapping[str, np.ndarray] | None = None) -> None:
        """Write uncompressed ``.npz`` atomically (uncompressed: loading is a plain read).

        ``columns`` are further per-row arrays stored beside the table (the raw layer's
        appearance descriptors); ``load`` ignores them, ``load_columns`` reads them."""
        extra = dict(columns or {})
        for name, values in extra.items():
            if name in _COLUMNS or name == "version" or len(values) != self.num_rows:
                raise ValueError(f"column {name!r} clashes with the table or is not one per row")
        buffer = io.BytesIO()
        np.savez(buffer, version=np.int32(_VERSION), offsets=self.offsets,
                 keypoints=self.keypoints, boxes=self.boxes, scores=self.scores, idx=self.idx,
                 **extra)
        atomic_write_bytes(path, buffer.getvalue())

    @classmethod
    def load(cls, path: Path) -> PoseTable:
        return cls(**cls.load_columns(path, _COLUMNS))

    @staticmethod
    def load_columns(path: Path, names: Sequence[str]) -> dict[str, np.ndarray]:
        """The arrays ``names`` of a saved table (``KeyError`` naming a missing one)."""
        with np.load(path, allow_pickle=False) as data:
            if int(data["version"]) != _VERSION:
                raise ValueError(f"{path.name}: unsupported version {int(data['version'])}")
            missing = [name for name in names if name not in data.files]
            if missing:
                raise KeyError(f"{path.name} has no {', '.join(missing)}")
            return {name: data[name] for name in names}


class PoseTableBuilder:
    """Collects a run's people frame by frame into growing arrays (``core.row_buffer``), so
    the worker's memory grows by a few hundred bytes a person however long the video."""

    def __init__(self, num_keypoints: int) -> None:
        self._k = num_keypoints
        self._counts = RowBuffer((), np.int64)
        self._keypoints = RowBuffer((num_keypoints, 3), np.float32)
        self._boxes = RowBuffer((4,), np.float32)
        self._scores = RowBuffer((), np.float32)
        self._idx = RowBuffer((), np.int32)

    @property
    def num_frames(self) -> int:
        return len(self._counts)

    @property
    def num_rows(self) -> int:
        return len(self._scores)

    def add(self, persons: Sequence[Person]) -> None:
        """The people of the next frame (possibly none)."""
        self._counts.append(len(persons))
        if not persons:
            return
        self._keypoints.extend(np.stack([p.keypoints[: self._k] for p in persons]))
        self._boxes.extend(np.asarray([p.box for p in persons], np.float32))
        self._scores.extend(np.asarray([p.score for p in persons], np.float32))
        self._idx.extend(np.asarray([p.idx for p in persons], np.int32))

    def build(self) -> PoseTable:
        offsets = np.zeros(self.num_frames + 1, np.int64)
        np.cumsum(self._counts.array(), out=offsets[1:])
        return PoseTable(offsets=offsets, keypoints=self._keypoints.array(),
                         boxes=self._boxes.array(), scores=self._scores.array(),
                         idx=self._idx.array())


def load_task_table(task_dir: Path, summary: Summary) -> PoseTable:
    """The results of a task folder: ``pose.npz`` if present and current, else ``pose.json``
    (then the table is saved for next time when the folder is writable)."""
    from ambientpose_desktop.core.keypoints import get_format

    task_dir = Path(task_dir)
    folder = TaskFolder(task_dir)
    table_path, json_path = folder.pose_table, folder.pose_json
    frames = summary.frames_processed  # less than the video's frames after --max-frames
    if table_path.exists() and (not json_path.exists()
                                or table_path.stat().st_mtime >= json_path.stat().st_mtime):
        table = PoseTable.load(table_path)
        if table.num_frames == frames:
            return table
    poses = read_alphapose(json_path, num_frames=frames, names=summary.source.image_names)
    table = PoseTable.from_frames(poses, get_format(summary.keypoint_format).num_keypoints)
    with contextlib.suppress(OSError):  # a read-only folder still opens, only slower next time
        table.save(table_path)
    return table
