"""The task's filtered layer as the viewer holds it: the table, whether edits made after it
have outdated it, and a preview (the Filter dialog's) that the plots show in its place.

Staleness is decided by ``core/filtered_layer.py`` (the edit file's hash); the window asks
again after every edit, so the overlay never shows smoothed results that miss a correction
without saying so.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ambientpose_desktop.core.filtered_layer import FilterRecord, is_stale, read_record
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.core.task_folder import TaskFolder


class FilteredLayer(QObject):
    changed = Signal()  # the table, its staleness or the preview changed

    def __init__(self, folder: Path, parent=None) -> None:
        super().__init__(parent)
        self._files = TaskFolder(folder)
        self.table: PoseTable | None = None
        self.record: FilterRecord | None = None
        self.stale = False
        self.preview: PoseTable | None = None  # frame 0 is ``preview_first``
        self.preview_first = 0
        self.reload()

    @property
    def exists(self) -> bool:
        return self.table is not None

    @property
    def current(self) -> bool:
        """There is a filtered layer and no edit came after it."""
        return self.table is not None and not self.stale

    def reload(self) -> None:
        """Read ``pose_filtered.npz`` again (after Apply in the Filter dialog)."""
        path = self._files.filtered_table
        self.table = PoseTable.load(path) if path.is_file() else None
        self.record = read_record(path) if self.table is not None else None
        self.stale = self.table is not None and is_stale(self._files.path)
        self.changed.emit()

    def check_stale(self) -> bool:
        """Ask again whether edits outdated the layer (after an edit); True if that changed."""
        stale = self.table is not None and is_stale(self._files.path)
        if stale == self.stale:
            return False
        self.stale = stale
        self.changed.emit()
        return True

    def describe(self) -> str:
        """One line: how the layer was made, and whether it is out of date."""
        if self.record is None:
            return "No filtered results yet (Results → Filter… makes them)"
        s = self.record.settings
        how = f"{s.method}, window {s.window}" if s.method in ("savgol", "median") else s.method
        text = f"Filtered: {how}, gaps ≤ {s.max_gap}, min score {s.min_score:g}"
        return text + (" — OUT OF DATE (edited since)" if self.stale else "")

    def set_preview(self, table: PoseTable | None, first_frame: int = 0) -> None:
        self.preview, self.preview_first = table, first_frame
        self.changed.emit()

    def shown_in_plots(self) -> tuple[PoseTable | None, int]:
        """What the plots draw as the filtered line: the preview while there is one."""
        if self.preview is not None:
            return self.preview, self.preview_first
        return self.table, 0
