"""The Export dialog: format, which results (layer), path, overwrite confirmation, progress
and Cancel.

The layers offered are those the task has, most processed first, as ``core/layers.py``
orders them; the default is ``default_layer``, the one ``ambientpose export`` takes without
``--layer``. A filtered layer that later edits outdated is listed but cannot be chosen (the
export would refuse it), and says why.

The export itself is ``pipeline.export.export_task`` (the same as ``ambientpose export``), run
on a thread so the window stays responsive; signals bring progress back to the GUI thread.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from ambientpose_desktop.core.layers import Layer, available_layers, default_layer
from ambientpose_desktop.gui.viewer.thread_job import ThreadJob
from ambientpose_desktop.pipeline.export import ExportCanceled, export_task
from ambientpose_desktop.pipeline.export_formats import DEFAULT_NAMES, EXPORT_FORMATS, TITLES

LAYER_TITLES = {
    "edited": "as proofread (with the edits)",
    "linked": "as tracked (without the edits)",
    "raw": "raw (every detection, before re-linking)",
    "filtered": "filtered (gaps filled, smoothed)",
}


class ExportJob(ThreadJob):
    """One export; exactly one of ``done``, ``failed``, ``canceled`` fires."""

    canceled = Signal()
    failure = "export failed"

    def __init__(self, task_dir: Path, fmt: str, output: Path, overwrite: bool,
                 layer: str | None = None) -> None:
        super().__init__("export")
        self.cancel_event = threading.Event()
        self._args = (task_dir, fmt, output, overwrite, layer)

    def cancel(self) -> None:
        self.cancel_event.set()

    def work(self) -> str | None:
        task_dir, fmt, output, overwrite, layer = self._args
        try:
            export_task(task_dir, fmt, output, overwrite=overwrite,
                        progress=self.progressed.emit, cancel=self.cancel_event, layer=layer)
        except ExportCanceled:
            self.canceled.emit()
            return None
        return str(output)


class ExportDialog(QDialog):
    ended = Signal(str)  # the message shown when an export finished, failed or was canceled

    def __init__(self, task_dir: Path, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export results")
        self.task_dir = Path(task_dir)
        self.job: ExportJob | None = None
        self.format_box = QComboBox()
        for fmt in EXPORT_FORMATS:
            self.format_box.addItem(TITLES[fmt], fmt)
        self.layer_box = QComboBox()
        self._fill_layers()
        self.path_edit = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status = QLabel("")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self._cancel_or_close)
        form = QFormLayout()
        form.addRow("Format", self.format_box)
        form.addRow("Results", self.layer_box)
        form.addRow("Save to", path_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.format_box.currentIndexChanged.connect(self._suggest_path)
        self._suggest_path()
        self.resize(560, 0)

    def _fill_layers(self) -> None:
        """The task's layers, most processed first; the default chosen, a stale one off."""
        from ambientpose_desktop.core.filtered_layer import is_stale

        default = default_layer(self.task_dir)
        for layer in reversed(available_layers(self.task_dir)):
            stale = layer == Layer.FILTERED and is_stale(self.task_dir)
            title = LAYER_TITLES.get(layer.value, layer.value)
            self.layer_box.addItem(title + (" — OUT OF DATE: edited since, filter again"
                                            if stale else ""), layer.value)
            if stale:
                self.layer_box.model().item(self.layer_box.count() - 1).setEnabled(False)
            if layer == default:
                self.layer_box.setCurrentIndex(self.layer_box.count() - 1)

    @property
    def fmt(self) -> str:
        return self.format_box.currentData()

    def _suggest_path(self) -> None:
        current = Path(self.path_edit.text()) if self.path_edit.text() else self.task_dir
        folder = current.parent if self.path_edit.text() else self.task_dir
        self.path_edit.setText(str(folder / DEFAULT_NAMES[self.fmt]))

    def _browse(self) -> None:
        if self.fmt == "frames-jpeg":
            path = QFileDialog.getExistingDirectory(self, "Export into folder",
                                                    str(Path(self.path_edit.text()).parent))
        else:
            path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path_edit.text())
        if path:
            self.path_edit.setText(path)

    def confirm_overwrite(self, output: Path) -> bool:
        """Ask before replacing an existing file or folder (tests replace this method)."""
        answer = QMessageBox.question(self, "Replace?",
                                      f"{output} already exists. Replace it?")
        return answer == QMessageBox.StandardButton.Yes

    def start(self) -> None:
        output = Path(self.path_edit.text()).expanduser()
        if not self.path_edit.text().strip():
            self.status.setText("Choose where to save the export.")
            return
        overwrite = output.exists()
        if overwrite and not self.confirm_overwrite(output):
            return
        self.job = ExportJob(self.task_dir, self.fmt, output, overwrite,
                             self.layer_box.currentData())
        self.job.progressed.connect(self._progressed)
        self.job.done.connect(lambda path: self._finished(f"Saved {path}"))
        self.job.failed.connect(self._finished)
        self.job.canceled.connect(lambda: self._finished("Export canceled; nothing was written."))
        self.export_button.setEnabled(False)
        self.format_box.setEnabled(False)
        self.status.setText("Exporting…")
        self.job.start()

    def _progressed(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _finished(self, message: str) -> None:
        if self.job is not None:
            self.job.release()
        self.job = None
        self.status.setText(message)
        self.export_button.setEnabled(True)
        self.format_box.setEnabled(True)
        self.ended.emit(message)

    def _cancel_or_close(self) -> None:
        if self.job is not None:
            self.job.cancel()
        else:
            self.reject()
