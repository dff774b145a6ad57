"""The Filter dialog: the settings of ``core/filter_settings.py`` (defaults and bounds read
from there, never declared again), a live preview in the plots on the frames they show, and
Apply, which writes the filtered layer with ``pipeline.filters.filter_task``, the code behind
``ambientpose filter``.

The preview filters the edited results the viewer holds (``filter_table`` with a frame range:
the result there equals the whole run's), so it follows edits made while the dialog is open.
Only the frames it needs are read (the range and the filter's context around it), and at most
``PREVIEW_MAX_FRAMES`` around the current frame when the plots show more: it stays live on an
hour of results.
Apply runs on a thread; the window stays responsive and reads the new layer when it is done.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QSpinBox,
    QVBoxLayout,
)

from ambientpose_desktop.core.edited_table import REMOVED
from ambientpose_desktop.core.errors import AmbientPoseError
from ambientpose_desktop.core.filter_settings import (
    BOUNDS,
    INTERPOLATIONS,
    METHODS,
    FilterSettings,
)
from ambientpose_desktop.gui.viewer.thread_job import ThreadJob

if TYPE_CHECKING:
    from ambientpose_desktop.gui.viewer.window import ViewerWindow

PREVIEW_DELAY_MS = 150  # settings typed in quick succession make one preview
PREVIEW_MAX_FRAMES = 3000  # of the frames plotted, around the current frame
_USED_BY = {"window": ("savgol", "median"), "polyorder": ("savgol",),
            "min_cutoff": ("one-euro",), "beta": ("one-euro",)}  # the rest: every method
_LABELS = {"window": "Window (frames)", "polyorder": "Polynomial order",
           "max_gap": "Max gap (frames)", "min_score": "Min score",
           "min_cutoff": "Min cutoff (Hz)", "beta": "Beta"}


class FilterJob(ThreadJob):
    """``filter_task``; exactly one of ``done`` or ``failed`` fires."""

    failure = "filtering failed"

    def __init__(self, folder, settings: FilterSettings) -> None:
        super().__init__("filter")
        self._folder, self._settings = folder, settings

    def work(self) -> str:
        from ambientpose_desktop.pipeline.filters import filter_task

        return str(filter_task(self._folder, self._settings, progress=self.progressed.emit))


class FilterDialog(QDialog):
    applied = Signal(str)  # the message shown once Apply finished (or failed)

    def __init__(self, window: ViewerWindow, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Filter results")
        self.window_ = window
        self.job: FilterJob | None = None
        self._times: list[float] | None = None  # of every frame, once
        record = window.filtered.record
        start = record.settings if record is not None else FilterSettings()
        self.method_box = QComboBox()
        self.method_box.addItems(METHODS)
        self.method_box.setCurrentText(start.method)
        self.interpolation_box = QComboBox()
        self.interpolation_box.addItems(INTERPOLATIONS)
        self.interpolation_box.setCurrentText(start.interpolation)
        form = QFormLayout()
        form.addRow("Method", self.method_box)
        self.fields: dict[str, QSpinBox | QDoubleSpinBox] = {}
        for name, bound in BOUNDS.items():
            value = getattr(start, name)
            if isinstance(value, int):
                box = QSpinBox(minimum=int(bound.low), maximum=int(bound.high),
                               singleStep=2 if bound.odd else 1)
            else:
                box = QDoubleSpinBox(minimum=bound.low, maximum=bound.high, decimals=2,
                                     singleStep=0.05 if bound.high <= 1 else 0.1)
            box.setValue(value)
            box.setToolTip(bound.help)
            box.valueChanged.connect(self._changed)
            form.addRow(_LABELS.get(name, name), box)
            self.fields[name] = box
        form.addRow("Gap filling", self.interpolation_box)
        self._form = form
        self.status = QLabel(wordWrap=True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.apply_button = self.buttons.addButton(
            "Apply", QDialogButtonBox.ButtonRole.ApplyRole)
        self.apply_button.clicked.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Per person and keypoint: drop points under the min score, "
                                "fill gaps of up to max gap frames, then smooth. The plots "
                                "preview it on the frames they show; Apply writes the "
                                "filtered layer (the other results stay).", wordWrap=True))
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.method_box.currentIndexChanged.connect(self._changed)
        self.interpolation_box.currentIndexChanged.connect(self._changed)
        self._timer = QTimer(self, singleShot=True, interval=PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.preview)
        box = window.plots.positions.getViewBox()
        box.sigXRangeChanged.connect(lambda *_: self._changed())
        window.history.changed.connect(self._edited)
        self._show_used()
        self.setMinimumWidth(420)

    def settings(self) -> FilterSettings:
        """The settings as entered; ``InputError`` says what is out of bounds."""
        values = {name: box.value() for name, box in self.fields.items()}
        return FilterSettings(method=self.method_box.currentText(),
                              interpolation=self.interpolation_box.currentText(), **values)

    def _show_used(self) -> None:
        method = self.method_box.currentText()
        for name, box in self.fields.items():
            used = method in _USED_BY.get(name, METHODS)
            box.setEnabled(used)
            self._form.labelForField(box).setEnabled(used)

    def _changed(self) -> None:
        self._show_used()
        if self.isVisible():
            self._timer.start()

    def _edited(self, _change) -> None:
        self._changed()

    def preview_frames(self) -> range:
        """The frames the plots show, within the results; at most ``PREVIEW_MAX_FRAMES`` of
        them, around the current frame."""
        low, high = self.window_.plots.positions.getViewBox().viewRange()[0]
        count = self.window_.history.table.num_frames
        first = max(0, min(int(low), count - 1))
        stop = max(first + 1, min(int(high) + 2, count))
        if stop - first > PREVIEW_MAX_FRAMES:
            centre = min(max(self.window_.state.frame, first), stop - 1)
            first = max(first, min(centre - PREVIEW_MAX_FRAMES // 2, stop - PREVIEW_MAX_FRAMES))
            stop = first + PREVIEW_MAX_FRAMES
        return range(first, stop)

    def preview(self) -> None:
        """Filter the frames the plots show and draw the result there, as a preview."""
        from ambientpose_desktop.pipeline.filters import filter_table

        try:
            settings = self.settings()
        except AmbientPoseError as exc:
            self.status.setText(str(exc))
            return
        table = self.window_.history.table
        if not table.num_frames:
            self.status.setText("There are no results to filter.")
            return
        frames = self.preview_frames()
        # the frames the result depends on, as filter_table would take them from the whole
        lo = max(0, frames.start - settings.context_frames)
        hi = min(table.num_frames, frames.stop + settings.context_frames)
        part = table.table.frames_between(lo, hi)
        part = part.select(part.idx != REMOVED)  # the edited layer: deleted rows left out
        if self._times is None or len(self._times) != table.num_frames:
            self._times = self.window_.task.summary.frame_times(table.num_frames)
        times = self._times[lo:hi]
        result = filter_table(part, settings, times,
                              frames=range(frames.start - lo, frames.stop - lo))
        self.window_.filtered.set_preview(result.table, lo + result.first_frame)
        self.status.setText(f"Preview on frames {frames.start}–{frames.stop - 1}: "
                            f"{int(result.filled.any(axis=1).sum())} poses with filled points")

    def apply(self) -> None:
        try:
            settings = self.settings()
        except AmbientPoseError as exc:
            self.status.setText(str(exc))
            return
        self.job = FilterJob(self.window_.task.folder, settings)
        self.job.progressed.connect(self._progressed)
        self.job.done.connect(self._done)
        self.job.failed.connect(self._failed)
        self.apply_button.setEnabled(False)
        self.status.setText("Filtering…")
        self.job.start()

    def _release_job(self) -> None:
        if self.job is not None:
            self.job.release()
        self.job = None

    def _progressed(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _done(self, path: str) -> None:
        self._release_job()
        self.apply_button.setEnabled(True)
        layer = self.window_.filtered
        layer.preview = None
        layer.reload()
        self.window_.state.set_options(filtered=True)
        message = f"Saved the filtered layer: {path}"
        self.status.setText(message)
        self.applied.emit(message)

    def _failed(self, message: str) -> None:
        self._release_job()
        self.apply_button.setEnabled(True)
        self.status.setText(message)
        self.applied.emit(message)

    def done(self, result: int) -> None:
        """Closing ends the preview: the plots show the filtered layer (if any) again."""
        self._timer.stop()
        self.window_.filtered.set_preview(None)
        super().done(result)
