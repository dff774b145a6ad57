"""The raw layer's rejected detections (re-linking left them out), for the viewer to draw
faintly and to promote: each named as ``Promote`` names it, by frame and its index in that
frame of the raw layer. Read on first use: most looks at a task never ask for them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ambientpose_desktop.core.edited_table import EditedTable
from ambientpose_desktop.core.poses import Person
from ambientpose_desktop.core.raw_layer import RawLayer
from ambientpose_desktop.core.task_folder import TaskFolder


class RejectedDetections:
    def __init__(self, folder: Path) -> None:
        self._path = TaskFolder(folder).raw_table
        self._raw: RawLayer | None = None

    @property
    def exists(self) -> bool:
        return self._path.is_file()

    def at(self, frame: int, edited: EditedTable) -> list[tuple[int, Person]]:
        """(raw index, pose) of the detections of ``frame`` that re-linking rejected and no
        edit promoted yet."""
        if not self.exists:
            return []
        if self._raw is None:
            self._raw = RawLayer.load(self._path)
        table = self._raw.table
        if not 0 <= frame < table.num_frames:
            return []
        rows = table.rows(frame)
        rejected = np.flatnonzero(self._raw.linked_idx[rows] < 0).tolist()
        return [(i, Person(keypoints=table.keypoints[rows.start + i],
                           box=tuple(float(v) for v in table.boxes[rows.start + i]),
                           score=float(table.scores[rows.start + i]), idx=-1))
                for i in rejected if not edited.is_promoted(frame, i)]
