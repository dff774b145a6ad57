"""The task table as a Qt model: a thin adapter over the repository's rows.

Rows change one at a time: the repository tells us which task changed (from whatever thread
changed it; a queued signal brings the news to the GUI thread), we re-read that one row and
emit ``dataChanged`` for the cells whose text changed. Live progress between the runner's
throttled database writes comes straight from the runner's ``progress`` signal. Changes made
by another process (``ambientpose serve``) are picked up by one indexed query on
``updated_at`` every few seconds. The Check column shows the input's integrity check:
"Checking… N %" from the runner's ``checkProgress`` while it runs, then its badge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor

from ambientpose_desktop.core.media_check import MediaCheck
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.gui.status_icons import (
    CHECK_COLORS,
    CHECK_LABELS,
    STATUS_LABELS,
    status_icon,
)
from ambientpose_desktop.store.models import Task
from ambientpose_desktop.store.repository import TaskRepository

COLUMNS = ("File", "Status", "Progress", "FPS", "ETA", "Backend", "Created", "Duration",
           "Check")
FILE, STATUS, PROGRESS, FPS, ETA, BACKEND, CREATED, DURATION, CHECK = range(len(COLUMNS))
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 2  # (fraction 0..1, text, TaskStatus)
TASK_ID_ROLE = Qt.ItemDataRole.UserRole + 3
EXTERNAL_POLL_MS = 3000
_Index = QModelIndex | QPersistentModelIndex


@dataclass
class LiveProgress:
    done: int
    total: int
    fps: float
    eta_s: float | None


def as_local(moment: datetime | None) -> datetime | None:
    """SQLite hands datetimes back without a zone; they were written in UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone()


def format_seconds(seconds: float | None) -> str:
    if seconds is None or seconds < 0:
        return ""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def duration_s(task: Task) -> float | None:
    start = as_local(task.started_at)
    if start is None:
        return None
    end = as_local(task.finished_at) or datetime.now().astimezone()
    return max(0.0, (end - start).total_seconds())


class TaskTableModel(QAbstractTableModel):
    """Tasks in queue order; sort and filter with a ``QSortFilterProxyModel`` on ``SORT_ROLE``."""

    countsChanged = Signal()
    _repoChanged = Signal(str, str)

    def __init__(self, repo: TaskRepository, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.repo = repo
        self._rows: list[Task] = repo.list()
        self._live: dict[str, LiveProgress] = {}
        self._checking: dict[str, float] = {}  # task id → fraction of its input check done
        self._seen = max((t.updated_at for t in self._rows), default=None)
        self._repoChanged.connect(self._apply_change, Qt.ConnectionType.QueuedConnection)
        repo.subscribe(self._on_repo_change)
        self._clock = QTimer(self)  # running durations tick once a second
        self._clock.timeout.connect(self._tick_durations)
        self._clock.start(1000)
        self._poll = QTimer(self)
        self._poll.timeout.connect(self._pick_up_external_changes)
        self._poll.start(EXTERNAL_POLL_MS)

    def close(self) -> None:
        """Stop listening (the repository outlives the window in tests and in the server)."""
        self.repo.unsubscribe(self._on_repo_change)
        self._clock.stop()
        self._poll.stop()

    # -- queries -------------------------------------------------------------------------
    def task_at(self, row: int) -> Task:
        return self._rows[row]

    def row_of(self, task_id: str) -> int | None:
        return next((i for i, t in enumerate(self._rows) if t.id == task_id), None)

    def status_counts(self) -> dict[TaskStatus, int]:
        counts = dict.fromkeys(TaskStatus, 0)
        for task in self._rows:
            counts[task.status] += 1
        return counts

    # -- Qt model ------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        task, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(task, column)
        if role == SORT_ROLE:
            return self._sort_key(task, column)
        if role == PROGRESS_ROLE:
            return self._progress(task)
        if role == TASK_ID_ROLE:
            return task.id
        if role == Qt.ItemDataRole.DecorationRole and column == STATUS:
            return status_icon(task.status)
        if column == CHECK and task.media_check and role in (
                Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.ToolTipRole):
            check = MediaCheck.from_dict(task.media_check)
            if role == Qt.ItemDataRole.ToolTipRole:
                return check.message
            return QColor(CHECK_COLORS[check.badge])
        if role == Qt.ItemDataRole.ToolTipRole:
            return task.error if task.error else task.input_path
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (FPS, ETA, DURATION):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _progress(self, task: Task) -> tuple[float, str, TaskStatus]:
        live = self._live.get(task.id) if task.status == TaskStatus.RUNNING else None
        done, total = (live.done, live.total) if live else (task.progress_done,
                                                            task.progress_total)
        fraction = done / total if total else (1.0 if task.status == TaskStatus.SUCCESS else 0.0)
        text = f"{done} / {total}" if total else ""
        return min(fraction, 1.0), text, task.status

    def _fps(self, task: Task) -> float | None:
        live = self._live.get(task.id)
        if live is not None and task.status == TaskStatus.RUNNING:
            return live.fps
        value = (task.metrics or {}).get("fps")
        return float(value) if value else None

    def _eta(self, task: Task) -> float | None:
        if task.status != TaskStatus.RUNNING:
            return None
        live = self._live.get(task.id)
        return live.eta_s if live else (task.metrics or {}).get("eta_s")

    def _text(self, task: Task, column: int) -> str:
        if column == FILE:
            return task.filename
        if column == STATUS:
            return STATUS_LABELS[task.status]
        if column == PROGRESS:
            return self._progress(task)[1]
        if column == FPS:
            fps = self._fps(task)
            return f"{fps:.1f}" if fps else ""
        if column == ETA:
            return format_seconds(self._eta(task))
        if column == BACKEND:
            return str(task.params.get("backend", ""))
        if column == CREATED:
            created = as_local(task.created_at)
            return created.strftime("%Y-%m-%d %H:%M") if created else ""
        if column == CHECK:
            return self._check_text(task)
        return format_seconds(duration_s(task))

    def _check_text(self, task: Task) -> str:
        """The input check's badge, or how far it has come while it runs."""
        if task.media_check:
            return CHECK_LABELS[MediaCheck.from_dict(task.media_check).badge]
        fraction = self._checking.get(task.id)
        return "" if fraction is None else f"Checking… {int(fraction * 100)} %"

    def _sort_key(self, task: Task, column: int) -> Any:
        if column == PROGRESS:
            return self._progress(task)[0]
        if column == FPS:
            return self._fps(task) or 0.0
        if column == ETA:
            return self._eta(task) or 0.0
        if column == CREATED:
            return task.created_at.isoformat()
        if column == DURATION:
            return duration_s(task) or 0.0
        if column == STATUS:
            return list(TaskStatus).index(task.status)
        return self._text(task, column).lower()

    # -- updates -------------------------------------------------------------------------
    def _on_repo_change(self, task_id: str, kind: str) -> None:
        """Repository listener: any thread, so only hand the news over."""
        try:
            self._repoChanged.emit(task_id, kind)
        except RuntimeError:  # deleted by Qt without close(): stop listening
            self.repo.unsubscribe(self._on_repo_change)

    def _apply_change(self, task_id: str, kind: str) -> None:
        row = self.row_of(task_id)
        task = None if kind == "deleted" else self.repo.find(task_id)
        if task is None:
            if row is not None:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()
                self._live.pop(task_id, None)
                self._checking.pop(task_id, None)
                self.countsChanged.emit()
            return
        self._put(task, row)

    def _put(self, task: Task, row: int | None) -> None:
        if self._seen is None or task.updated_at > self._seen:
            self._seen = task.updated_at
        if row is None:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
            self._rows.append(task)
            self.endInsertRows()
            self.countsChanged.emit()
            return
        old = self._rows[row]
        before = [self._text(old, c) for c in range(len(COLUMNS))]
        self._rows[row] = task
        if task.status != TaskStatus.RUNNING:
            self._live.pop(task.id, None)
        if task.media_check:
            self._checking.pop(task.id, None)
        changed = [c for c in range(len(COLUMNS)) if self._text(task, c) != before[c]]
        if old.status != task.status or old.error != task.error:
            changed = sorted(set(changed) | {STATUS})
            self.countsChanged.emit()
        self._cells_changed(row, changed)

    def _cells_changed(self, row: int, columns: list[int]) -> None:
        for column in columns:
            index = self.index(row, column)
            self.dataChanged.emit(index, index)

    def update_live(self, task_id: str, done: int, total: int, fps: float,
                    eta_s: float | None) -> None:
        """Runner progress (several times a second): only the three cells it touches."""
        row = self.row_of(task_id)
        if row is None or self._rows[row].status != TaskStatus.RUNNING:
            return
        self._live[task_id] = LiveProgress(done, total, fps, eta_s)
        self._cells_changed(row, [PROGRESS, FPS, ETA])

    def update_check(self, task_id: str, fraction: float) -> None:
        """The input check's progress (runner ``checkProgress``): the one cell, when its
        percentage changes."""
        row = self.row_of(task_id)
        if row is None or self._rows[row].media_check:
            return
        before = self._check_text(self._rows[row])
        self._checking[task_id] = fraction
        if self._check_text(self._rows[row]) != before:
            self._cells_changed(row, [CHECK])

    def _tick_durations(self) -> None:
        for row, task in enumerate(self._rows):
            if task.status == TaskStatus.RUNNING:
                self._cells_changed(row, [DURATION])

    def _pick_up_external_changes(self) -> None:
        seen = self._seen
        for task in self.repo.list() if seen is None else self.repo.changed_since(seen):
            self._put(task, self.row_of(task.id))
        if self.repo.count() < len(self._rows):  # deleted by another process (e.g. serve)
            alive = self.repo.ids()
            for task in [t for t in self._rows if t.id not in alive]:
                self._apply_change(task.id, "deleted")
