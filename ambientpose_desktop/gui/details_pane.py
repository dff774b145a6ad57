"""The pane under the table: what the selected task is, what went wrong, what the check of its
input found, and its log."""

from __future__ import annotations

import html
import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ambientpose_desktop.core.events import Failed, Log, parse_event
from ambientpose_desktop.core.media_check import MediaCheck
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.gui import dialogs
from ambientpose_desktop.gui.status_icons import (
    CHECK_COLORS,
    CHECK_LABELS,
    STATUS_COLORS,
    STATUS_LABELS,
)
from ambientpose_desktop.gui.widgets import with_button
from ambientpose_desktop.store.models import Task

LOG_TAIL_BYTES = 64 * 1024
MAX_LOG_LINES = 2000


def _event_lines(events_file: Path) -> list[str]:
    """Human lines from the end of a task's events.jsonl (progress ticks left out)."""
    try:
        with events_file.open("rb") as fh:
            fh.seek(max(0, events_file.stat().st_size - LOG_TAIL_BYTES))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return []
    lines = []
    for raw in text.splitlines():
        event = parse_event(raw)
        if isinstance(event, Log):
            lines.append(f"{event.level:7} {event.message}")
        elif isinstance(event, Failed):
            lines.append(f"{'ERROR':7} {event.error}")
        elif event is not None and event.name in ("started", "finished", "canceled"):
            lines.append(f"{event.name.upper():7} {json.dumps(event.to_dict())}")
    return lines


def _check_html(found: dict | None) -> str:
    """The badge of the input's integrity check, what the video is, then one line a finding."""
    if not found:
        return ""
    check = MediaCheck.from_dict(found)
    what = [f"{check.frames} frames"] if check.frames else []
    if check.fps:
        what.append(f"{check.fps:g} fps")
    if check.keyframe_interval:
        what.append(f"a keyframe every ≤ {check.keyframe_interval} frames")
    if check.quick:
        what.append("container only")
    lines = [f"<b style='color:{CHECK_COLORS[check.badge]}'>{CHECK_LABELS[check.badge]}</b>"
             f" &nbsp;{html.escape(', '.join(what))}"]
    lines += [html.escape(line) for line in check.problems + check.warnings]
    return "<br>".join(lines)


class DetailsPane(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.task_id: str | None = None
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.source = QLabel()
        self.params = QLabel()
        self.outcome = QLabel()
        self.error = QLabel()
        self.check = QLabel()  # the input's integrity check: badge, then one line a finding
        self.check.setTextFormat(Qt.TextFormat.RichText)
        self.check.setWordWrap(True)
        for label in (self.source, self.params, self.outcome, self.error, self.check):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            # Long paths are clipped rather than widening the window; the text stays copyable.
            label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            label.setMinimumWidth(1)
        self.error.setWordWrap(True)
        self.error_details = QPushButton("Show full error…")
        self.error_details.clicked.connect(self.show_error_file)
        self._error_file: Path | None = None
        self.error.setStyleSheet(f"color: {STATUS_COLORS[TaskStatus.FAILED]};")
        self.log = QPlainTextEdit(readOnly=True)
        self.log.setMaximumBlockCount(MAX_LOG_LINES)
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.log.setPlaceholderText("The worker's log appears here while a task runs.")
        self.form = form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Input", self.source)
        form.addRow("Settings", self.params)
        form.addRow("Result", self.outcome)
        form.addRow("Error", with_button(self.error, self.error_details))
        form.addRow("Check", self.check)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.title)
        layout.addLayout(form)
        layout.addWidget(self.log, 1)
        self.show_task(None)

    def show_task(self, task: Task | None, reload_log: bool = True) -> None:
        """Show ``task`` (or a hint when nothing is selected)."""
        changed = task is None or task.id != self.task_id
        self.task_id = task.id if task else None
        for row in range(self.form.rowCount()):
            self.form.setRowVisible(row, task is not None)
        if task is None:
            self.title.setText("<b>No task selected</b> <span style='color:gray'>— select a "
                               "task to see its settings, result and log</span>")
            for label in (self.source, self.params, self.outcome, self.error, self.check):
                label.clear()
            self.log.clear()
            return
        self.form.setRowVisible(3, bool(task.error))
        self.form.setRowVisible(4, bool(task.media_check))
        self.check.setText(_check_html(task.media_check))
        self._error_file = TaskFolder(task.output_dir).error if task.output_dir else None
        self.error_details.setVisible(bool(self._error_file and self._error_file.is_file()))
        color = STATUS_COLORS[task.status]
        self.title.setText(f"<b>{task.filename}</b> &nbsp;<span style='color:{color}'>"
                           f"{STATUS_LABELS[task.status]}</span>")
        self.source.setText(task.input_path)
        p = task.params
        self.params.setText(f"{p.get('backend')} on {p.get('device')}, confidence "
                            f"{p.get('conf')}, image size {p.get('imgsz')}")
        self.outcome.setText(self._outcome(task))
        self.error.setText(task.error or "")
        if changed and reload_log:
            self.log.setPlainText("\n".join(self._saved_log(task)))

    @staticmethod
    def _outcome(task: Task) -> str:
        metrics = task.metrics or {}
        parts = []
        if task.status == TaskStatus.RUNNING:  # live progress is in the table
            return f"running, results go to {task.output_dir or 'the task folder'}"
        if task.progress_total:
            parts.append(f"{task.progress_done} of {task.progress_total} frames")
        if metrics.get("persons") is not None:
            parts.append(f"{metrics['persons']} poses")
        if metrics.get("tracks") is not None:
            parts.append(f"{metrics['tracks']} tracks")
        if metrics.get("fps"):
            parts.append(f"{float(metrics['fps']):.1f} fps")
        if task.output_dir:
            parts.append(f"in {task.output_dir}")
        return ", ".join(parts)

    @staticmethod
    def _saved_log(task: Task) -> list[str]:
        if not task.output_dir:
            return []
        return _event_lines(TaskFolder(task.output_dir).events)

    def show_error_file(self) -> None:
        """The worker's traceback (``error.txt``) behind the one-line message."""
        if self._error_file is None:
            return
        try:
            details = self._error_file.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            details = f"could not read {self._error_file}: {exc}"
        dialogs.show_error(self, "Task failed", self.error.text(), details)

    def append_log(self, task_id: str, level: str, message: str) -> None:
        if task_id == self.task_id:
            self.log.appendPlainText(f"{level:7} {message}")
