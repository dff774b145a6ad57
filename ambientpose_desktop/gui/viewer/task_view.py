"""A finished task as the viewer needs it: summary, keypoint format, video, and the way to
its edited layer (the results it shows)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ambientpose_desktop.core.edit_session import EditSession
from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.keypoints import KeypointFormat, get_format
from ambientpose_desktop.core.layers import open_edits
from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.core.task_folder import TaskFolder


@dataclass
class TaskView:
    folder: Path
    summary: Summary
    fmt: KeypointFormat

    @property
    def video(self) -> Path:
        return Path(self.summary.source.path)

    def open_edits(self) -> EditSession:
        """The edited layer: the linked results with the task's edit file replayed."""
        return open_edits(self.folder, self.summary)

    @classmethod
    def open(cls, folder: Path) -> TaskView:
        folder = Path(folder)
        files = TaskFolder(folder)
        if not files.has_results():
            raise InputError(f"{folder} has no results to show (summary.json is missing)")
        summary = Summary.read(files.summary)
        if summary.source.kind != "video":
            raise InputError("the viewer shows videos; this task processed an image folder")
        if not Path(summary.source.path).exists():
            raise InputError(f"the video {summary.source.path} is gone; it is needed to view")
        return cls(folder, summary, get_format(summary.keypoint_format))
