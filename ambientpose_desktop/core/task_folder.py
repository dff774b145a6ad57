"""The files of a task folder, named once.

A task folder is what a worker writes for one task (``<data>/tasks/<id>/``, a user-chosen
Results folder, or the ``--output`` of ``ambientpose detect``). The worker, the runners, the
viewer, the exporters, the server and the details pane find every file through ``TaskFolder``;
nobody spells a file name out again. ``ArtefactStore.results_dir`` stays the one rule for
*where* a task's folder is.

Results are layered and no layer rewrites the one below it (``docs/architecture.md``):
``raw`` (the online tracker's output, with rejected detections) → ``linked`` (the offline
re-linking pass; ``pose.json`` / ``pose.npz``) → ``edited`` (the proofreading
edit file replayed on top) → ``filtered`` (gap filling and smoothing, parameters recorded).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

POSE_JSON = "pose.json"
POSE_TABLE = "pose.npz"
RAW_TABLE = "pose_raw.npz"
EDITS = "edits.json"
FILTERED_TABLE = "pose_filtered.npz"
SUMMARY = "summary.json"
EVENTS = "events.jsonl"
ERROR = "error.txt"
FRAME_INDEX = "frames.npz"
SCRUB_PROXY = "scrub.mp4"
SEEKABLE_COPY = "seekable.mp4"
SEEKABLE_INDEX = "seekable_frames.npz"
OVERLAY_VIDEO = "overlay.mp4"
CHECKPOINT = "checkpoint"  # a folder: one part per interval, then its manifest
CHECKPOINT_MANIFEST = "manifest.json"
MEDIA_CHECK = "check.json"
CHUNKS = "chunks"
CHUNK_RECORD = "chunk.json"


@dataclass(frozen=True)
class TaskFolder:
    """Paths of the files in one task folder; nothing is read or created here."""

    path: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    @property
    def pose_json(self) -> Path:
        """The linked layer in AlphaPose's JSON format: the interchange file."""
        return self.path / POSE_JSON

    @property
    def pose_table(self) -> Path:
        """The linked layer as NumPy arrays (``core.pose_table``): O(1) frame lookup."""
        return self.path / POSE_TABLE

    @property
    def raw_table(self) -> Path:
        """The online tracker's output (after pose NMS, before re-linking), every detection
        kept, with each one's appearance and linked id (``core.raw_layer``)."""
        return self.path / RAW_TABLE

    @property
    def edits(self) -> Path:
        """The proofreading edit file: an ordered, versioned list of operations."""
        return self.path / EDITS

    @property
    def filtered_table(self) -> Path:
        """Gap-filled and smoothed results, with the filter's parameters inside."""
        return self.path / FILTERED_TABLE

    @property
    def summary(self) -> Path:
        return self.path / SUMMARY

    @property
    def events(self) -> Path:
        return self.path / EVENTS

    @property
    def error(self) -> Path:
        """The traceback of a failed run, behind its one-line message."""
        return self.path / ERROR

    @property
    def frame_index(self) -> Path:
        return self.path / FRAME_INDEX

    @property
    def scrub_proxy(self) -> Path:
        return self.path / SCRUB_PROXY

    @property
    def seekable_copy(self) -> Path:
        """The video re-encoded with a short GOP, made where exact seeks are slow; the
        viewer reads its frames from it (the video itself is never touched)."""
        return self.path / SEEKABLE_COPY

    @property
    def seekable_index(self) -> Path:
        """The seekable copy's frame index (built once, when first opened)."""
        return self.path / SEEKABLE_INDEX

    @property
    def overlay_video(self) -> Path:
        return self.path / OVERLAY_VIDEO

    @property
    def checkpoint(self) -> Path:
        """Where a running worker keeps what a resumed run needs to carry on."""
        return self.path / CHECKPOINT

    def has_checkpoint(self) -> bool:
        """A run was interrupted after saving some progress (its manifest is written last)."""
        return (self.checkpoint / CHECKPOINT_MANIFEST).is_file()

    @property
    def media_check(self) -> Path:
        """Findings of the integrity check run when the video was added."""
        return self.path / MEDIA_CHECK

    @property
    def chunks(self) -> Path:
        """The chunk folders of a long video run on a cluster in frame ranges, until joined."""
        return self.path / CHUNKS

    def chunk(self, index: int) -> TaskFolder:
        """Chunk ``index``'s folder: its worker's raw layer, record and event log."""
        return TaskFolder(self.chunks / f"{index:04d}")

    @property
    def chunk_record(self) -> Path:
        """In a chunk folder: what its worker decoded (``core.chunks.ChunkRecord``)."""
        return self.path / CHUNK_RECORD

    @staticmethod
    def frames_jpeg(stem: str) -> str:
        """The folder name of the decoded frames as JPEGs (AlphaPose's ``--save_img``)."""
        return f"frames_{stem}"

    @staticmethod
    def overlay_jpeg(stem: str) -> str:
        return f"overlay_{stem}"

    def has_results(self) -> bool:
        """A finished run wrote its summary last: without it there is nothing to show."""
        return self.summary.is_file()
