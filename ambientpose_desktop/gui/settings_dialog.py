"""Settings: defaults for new tasks (backend, device, thresholds, outputs), the queue, and
where tasks run (``gui/cluster_settings.py``).

Which backends can run and which devices exist is found out in a background thread when the
dialog opens (that imports backend modules and onnxruntime), never at start-up. Each backend's
own settings are drawn from the ``options`` it declares, so a new backend needs no GUI code.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.params import PARAMS
from ambientpose_desktop.gui.cluster_settings import ExecutorFields
from ambientpose_desktop.gui.widgets import number_field, number_value, with_button
from ambientpose_desktop.store.settings import AppSettings

if TYPE_CHECKING:
    from ambientpose_desktop.pipeline.backends.base import (
        Availability,
        BackendConfig,
        BackendOption,
    )


@dataclass
class BackendInfo:
    title: str
    availability: Availability
    options: tuple[BackendOption, ...]


@dataclass
class MachineReport:
    backends: dict[str, BackendInfo]
    devices: list[str]


def _config(settings: AppSettings, options: dict[str, Any]) -> BackendConfig:
    from ambientpose_desktop.pipeline.backends import BackendConfig

    task = settings.task
    return BackendConfig(device=task.device, conf=task.conf, imgsz=task.imgsz, options=options)


def check_backend(name: str, settings: AppSettings, options: dict[str, Any]) -> Availability:
    """Whether ``name`` can run with these settings and options (imports the backend)."""
    from ambientpose_desktop.pipeline.backends import availability

    return availability(name, _config(settings, options))


def inspect_machine(settings: AppSettings) -> MachineReport:
    """Backends (with availability under ``settings``, and options) and devices; slow, run it
    off the GUI thread."""
    from ambientpose_desktop.pipeline.backends import Availability, backend_class, backend_names
    from ambientpose_desktop.pipeline.devices import available_devices

    backends = {}
    for name in backend_names():
        try:
            cls = backend_class(name)
        except ImportError as exc:
            backends[name] = BackendInfo(name, Availability(False, f"cannot import "
                                                                   f"{exc.name or exc}"), ())
            continue
        report = check_backend(name, settings, settings.backend_options.get(name, {}))
        backends[name] = BackendInfo(cls.title, report, cls.options)
    return MachineReport(backends, available_devices())


def _path_field(edit: QLineEdit, pick_folder: bool, parent: QWidget) -> QWidget:
    button = QPushButton("Browse…")

    def browse() -> None:
        if pick_folder:
            chosen = QFileDialog.getExistingDirectory(parent, "Choose a folder", edit.text())
        else:
            chosen, _ = QFileDialog.getOpenFileName(parent, "Choose a file", edit.text())
        if chosen:
            edit.setText(chosen)

    button.clicked.connect(browse)
    return with_button(edit, button)


class OptionFields(QGroupBox):
    """Fields for one backend's declared options; ``values()`` returns what the user set."""

    def __init__(self, options: tuple[BackendOption, ...], values: dict[str, Any],
                 parent: QWidget | None = None) -> None:
        super().__init__("Backend options", parent)
        self.options = options
        self._widgets: dict[str, QWidget] = {}
        form = QFormLayout(self)
        if not options:
            form.addRow(QLabel("This backend has no settings of its own."))
        for option in options:
            widget, row = self._make(option, values.get(option.key))
            widget.setToolTip(option.help)
            self._widgets[option.key] = widget
            form.addRow(option.label, row)

    def _make(self, option: BackendOption, value: Any) -> tuple[QWidget, QWidget]:
        if option.kind == "bool":
            box = QCheckBox()
            box.setChecked(bool(option.default if value is None else value))
            return box, box
        if option.kind == "choice":
            combo = QComboBox()
            combo.addItems(list(option.choices))
            combo.setCurrentText(str(option.default if value is None else value))
            return combo, combo
        if self._bounded(option):
            box = number_field(option.spec, value)
            return box, box
        edit = QLineEdit("" if value is None else str(value))
        if option.default not in (None, ""):
            edit.setPlaceholderText(f"default: {option.default}")
        if option.kind in ("file", "dir"):
            return edit, _path_field(edit, option.kind == "dir", self)
        return edit, edit

    @staticmethod
    def _bounded(option: BackendOption) -> bool:
        """Numbers with a default and both bounds get a spin box; others a checked text."""
        return (option.kind in ("int", "float") and option.default is not None
                and option.minimum is not None and option.maximum is not None)

    def values(self) -> dict[str, Any]:
        """Converted values the user set (empty fields left out); ``InputError`` names the
        field that is wrong."""
        out: dict[str, Any] = {}
        for option in self.options:
            widget = self._widgets[option.key]
            if isinstance(widget, QCheckBox):
                raw: Any = widget.isChecked()
            elif isinstance(widget, QComboBox):
                raw = widget.currentText()
            elif isinstance(widget, QSpinBox | QDoubleSpinBox):
                if widget.value() == option.default:
                    continue  # left at its default: nothing to remember
                raw = widget.value()
            else:
                raw = widget.text().strip() if isinstance(widget, QLineEdit) else ""
                if raw == "":
                    continue
            try:
                out[option.key] = option.convert(raw)
            except InputError as exc:
                raise InputError(f"{option.label}: {exc}") from None
        return out


class SettingsDialog(QDialog):
    """Edits a copy of the settings; ``result_settings()`` after ``exec()`` returns it."""

    machineInspected = Signal()
    backendChecked = Signal()

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self._settings = settings
        self._options = {k: dict(v) for k, v in settings.backend_options.items()}
        self.report: MachineReport | None = None
        self._option_fields: OptionFields | None = None
        self._shown_backend = ""

        self.backend = QComboBox()
        from ambientpose_desktop.pipeline.backends import backend_names

        for name in backend_names():
            self.backend.addItem(name, name)
        task = settings.task
        self.backend.setCurrentIndex(max(0, self.backend.findData(task.backend)))
        self.availability = QLabel("Checking which backends can run here…")
        self.availability.setWordWrap(True)
        self.device = QComboBox(editable=True)
        self.device.addItems(["auto", "cpu"])
        self.device.setCurrentText(task.device)
        self.device.setToolTip("auto picks a GPU when one is usable, else the CPU")
        self.conf = number_field(PARAMS["conf"], task.conf, step=0.05)
        self.imgsz = number_field(PARAMS["imgsz"], task.imgsz, step=32)
        self.people = number_field(PARAMS["people"], task.people)
        self.image_folder = QComboBox()
        self.image_folder.addItems(list(PARAMS["image_folder"].choices))
        self.image_folder.setCurrentText(task.image_folder)
        self.image_folder.setToolTip(PARAMS["image_folder"].help)
        self.output_dir = QLineEdit(settings.output_dir)
        self.output_dir.setPlaceholderText("each task's folder in the app's data folder")
        self.concurrency = QSpinBox(minimum=0, maximum=16)
        self.concurrency.setSpecialValueText("auto: one per GPU, or one on the CPU")
        self.concurrency.setValue(settings.concurrency)
        self.worker_python = QLineEdit(settings.worker_python)
        self.worker_python.setPlaceholderText("this app's own Python")
        self.overlay_video = QCheckBox("Also write an overlay video")
        self.overlay_video.setChecked(task.overlay_video)
        self.frames_jpeg = QCheckBox("Also write frames and overlays as JPEG folders")
        self.frames_jpeg.setChecked(task.frames_jpeg)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #e5484d;")

        form = QFormLayout()
        self.recheck = QPushButton("Check again")
        self.recheck.setToolTip("Check the backend again with the settings shown here (e.g. "
                                "after choosing AlphaPose's folder or another Worker Python)")
        self.recheck.setEnabled(False)
        self.recheck.clicked.connect(self.check_again)
        form.addRow("Backend", with_button(self.backend, self.recheck))
        form.addRow(self.availability)  # full width: long messages wrap instead of clipping
        form.addRow("Device", self.device)
        form.addRow("Confidence threshold", self.conf)
        form.addRow("Image size (px)", self.imgsz)
        form.addRow(PARAMS["people"].label, self.people)
        form.addRow(PARAMS["image_folder"].label, self.image_folder)
        form.addRow("Results folder", _path_field(self.output_dir, True, self))
        form.addRow("Tasks at a time", self.concurrency)
        form.addRow("Worker Python", _path_field(self.worker_python, False, self))
        form.addRow("", self.overlay_video)
        form.addRow("", self.frames_jpeg)
        self.executor_fields = ExecutorFields(settings.executor, settings.dask_address, self,
                                              chunk_frames=settings.chunk_frames)
        self._options_holder = QVBoxLayout()
        self.button_box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                           | QDialogButtonBox.StandardButton.Cancel)
        self.button_box.accepted.connect(self.accept)
        self.button_box.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(self._options_holder)
        layout.addWidget(self.executor_fields)
        layout.addWidget(self.problem)
        layout.addWidget(self.button_box)
        self.backend.currentIndexChanged.connect(self._backend_changed)
        self._start_inspection()

    # -- machine report (background) -----------------------------------------------------
    def _start_inspection(self) -> None:
        from superqt.utils import create_worker

        self._worker = create_worker(inspect_machine, self._settings)
        self._worker.returned.connect(self._machine_inspected)
        self._worker.errored.connect(
            lambda exc: self.availability.setText(f"Could not check the backends: {exc}"))
        self._worker.start()

    def _machine_inspected(self, report: MachineReport) -> None:
        self.report = report
        for i in range(self.backend.count()):
            name = self.backend.itemData(i)
            info = report.backends.get(name)
            if info is not None:
                mark = "" if info.availability.ok else " (not available)"
                self.backend.setItemText(i, f"{info.title}{mark}")
                self.backend.setItemData(i, f"{name}: {info.availability.message}",
                                         Qt.ItemDataRole.ToolTipRole)
        current = self.device.currentText()
        self.device.clear()
        self.device.addItems(report.devices)
        self.device.setCurrentText(current)
        self._show_backend(self.backend.currentData())
        self.machineInspected.emit()

    def _backend_changed(self) -> None:
        self._keep_option_values()
        self._show_backend(self.backend.currentData())

    def _show_backend(self, name: str) -> None:
        if self.report is None:
            return
        info = self.report.backends[name]
        self._show_availability(info.availability)
        self.recheck.setEnabled(True)
        if self._option_fields is not None:
            self._option_fields.deleteLater()
        self._option_fields = OptionFields(info.options, self._options.get(name, {}), self)
        self._shown_backend = name
        self._options_holder.addWidget(self._option_fields)
        self.adjustSize()  # room for a long availability message and this backend's fields

    def _show_availability(self, report: Availability) -> None:
        ok = report.ok
        self.availability.setText(("✔ " if ok else "✖ ")
                                  + (report.message or ("ready" if ok else "unavailable")))
        self.availability.setStyleSheet(f"color: {'#27ae60' if ok else '#e5484d'};")
        # A form row keeps the height of the first text; make room for all lines of this one.
        self.availability.setMinimumHeight(
            self.availability.heightForWidth(max(self.availability.width(), 400)))

    def check_again(self) -> None:
        """Re-check the shown backend with the values in the dialog, off the GUI thread."""
        from superqt.utils import create_worker

        if not self._keep_option_values():
            return
        name = self._shown_backend
        self.availability.setText("Checking…")
        self.recheck.setEnabled(False)
        worker = create_worker(check_backend, name, self.result_settings(),
                               self._options.get(name, {}))
        worker.returned.connect(lambda report: self._checked(name, report))
        self._check_worker = worker
        worker.start()

    def _checked(self, name: str, report: Availability) -> None:
        if self.report is not None:
            self.report.backends[name].availability = report
        if name == self._shown_backend:
            self._show_availability(report)
        self.recheck.setEnabled(True)
        self.backendChecked.emit()

    def _keep_option_values(self) -> bool:
        """Remember the shown backend's option values; ``False`` (and a message) if invalid."""
        if self._option_fields is None:
            return True
        try:
            self._options[self._shown_backend] = self._option_fields.values()
        except InputError as exc:
            self.problem.setText(str(exc))
            return False
        return True

    # -- result --------------------------------------------------------------------------
    def accept(self) -> None:
        problem = self.executor_fields.problem()
        if problem:
            self.problem.setText(problem)
        elif self._keep_option_values():
            super().accept()

    def result_settings(self) -> AppSettings:
        task = replace(
            self._settings.task, backend=self.backend.currentData(),
            device=self.device.currentText().strip() or PARAMS["device"].default,
            conf=round(self.conf.value(), 4), imgsz=self.imgsz.value(),
            people=number_value(self.people), image_folder=self.image_folder.currentText(),
            overlay_video=self.overlay_video.isChecked(),
            frames_jpeg=self.frames_jpeg.isChecked())
        executor, address = self.executor_fields.values()
        return replace(
            self._settings, task=task, executor=executor, dask_address=address,
            chunk_frames=self.executor_fields.chunk_frames.value(),
            output_dir=self.output_dir.text().strip(), concurrency=self.concurrency.value(),
            worker_python=self.worker_python.text().strip(),
            backend_options={k: v for k, v in self._options.items() if v},
        )
