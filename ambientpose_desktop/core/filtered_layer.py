"""``pose_filtered.npz``: the filtered layer, with what it was computed from recorded inside.

The file is a ``PoseTable`` (so every reader opens it as it opens ``pose.npz``) plus:

- ``filter``: JSON with the ``FilterSettings``, the layer it was computed from (``raw``,
  ``linked`` or ``edited``) and ``edits_sha256``, the SHA-256 of the edit file at that time
  (``null`` when there was none);
- ``filled``: (rows, K) bool, the keypoints that gap filling made up rather than smoothed.

**Stale layers.** Proofreading edits made after filtering are not in the filtered layer. A
layer computed from ``linked`` or ``edited`` is stale once the edit file's hash differs from the
recorded one (edits appeared, changed or were removed). Readers then skip it: the default layer
is the most processed *current* one, and asking for ``filtered`` explicitly is refused with a
message to filter again, so no export silently drops a correction.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ambientpose_desktop.core.atomic import atomic_write_bytes
from ambientpose_desktop.core.filter_settings import FilterSettings
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.core.task_folder import TaskFolder

_TABLE_VERSION = 1  # PoseTable's file version


def edits_fingerprint(folder: Path) -> str | None:
    """SHA-256 of the task's edit file, or ``None`` when it has none."""
    path = TaskFolder(folder).edits
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


@dataclass(frozen=True)
class FilterRecord:
    settings: FilterSettings
    source_layer: str
    edits_sha256: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"settings": self.settings.to_dict(), "source_layer": self.source_layer,
                "edits_sha256": self.edits_sha256}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FilterRecord:
        return cls(FilterSettings.from_dict(data["settings"]), data["source_layer"],
                   data.get("edits_sha256"))


def save_filtered(path: Path, table: PoseTable, record: FilterRecord,
                  filled: np.ndarray) -> None:
    """Write the layer atomically; ``PoseTable.load`` reads it as any table (the record is
    not one value per row, so ``PoseTable.save``'s columns cannot hold it)."""
    buffer = io.BytesIO()
    np.savez(buffer, version=np.int32(_TABLE_VERSION), offsets=table.offsets,
             keypoints=table.keypoints, boxes=table.boxes, scores=table.scores, idx=table.idx,
             filter=np.asarray(json.dumps(record.to_dict())), filled=filled.astype(bool))
    atomic_write_bytes(path, buffer.getvalue())


def read_record(path: Path) -> FilterRecord:
    return FilterRecord.from_dict(json.loads(str(PoseTable.load_columns(path, ["filter"])[
        "filter"])))


def read_filled(path: Path) -> np.ndarray:
    return PoseTable.load_columns(path, ["filled"])["filled"]


def is_stale(folder: Path) -> bool:
    """The filtered layer misses edits made (or undone) after it was computed."""
    record = read_record(TaskFolder(folder).filtered_table)
    return record.source_layer != "raw" and record.edits_sha256 != edits_fingerprint(folder)
