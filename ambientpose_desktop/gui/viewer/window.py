"""ViewerWindow: a finished task's video with live pose overlays, timeline, plots and export.

Only the task folder is needed (``summary.json`` names the video and keypoint format), so the
main window opens one with ``ViewerWindow(task_dir)`` on ``resultsRequested``.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QImage, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ambientpose_desktop.core.errors import AmbientPoseError
from ambientpose_desktop.core.pose_series import next_change, track_ids
from ambientpose_desktop.gui.viewer.canvas import FrameCanvas
from ambientpose_desktop.gui.viewer.controls import OverlayControls
from ambientpose_desktop.gui.viewer.export_dialog import ExportDialog
from ambientpose_desktop.gui.viewer.frame_loader import FrameLoader
from ambientpose_desktop.gui.viewer.plots import PosePlots
from ambientpose_desktop.gui.viewer.state import ViewerState
from ambientpose_desktop.gui.viewer.task_view import TaskView
from ambientpose_desktop.gui.viewer.timeline import Timeline


class ViewerWindow(QMainWindow):
    def __init__(self, task_dir: Path, parent=None, synchronous: bool = False) -> None:
        super().__init__(parent)
        self.task = TaskView.open(task_dir)
        source = self.task.summary.source
        self.setWindowTitle(f"{Path(source.path).name} — AmbientPose viewer")
        self.loader = FrameLoader(self.task.video, self.task.folder, synchronous=synchronous,
                                  parent=self)
        self.state = ViewerState(len(self.loader), self)
        self.canvas = FrameCanvas(self.task.fmt, self.loader.reader.size)
        self.timeline = Timeline(self.state, source.timestamps, source.fps)
        self.plots = PosePlots(self.state, self.task.table, self.task.fmt)
        self.controls = OverlayControls(self.state, track_ids(self.task.table))
        self._build_layout()
        self._build_actions()
        self._play_timer = QTimer(self, interval=max(int(1000 / (source.fps or 30) / 2), 5))
        self._play_timer.timeout.connect(self._play_tick)
        self._play_origin = (0.0, 0)
        self.clock = time.perf_counter  # playback follows this clock (tests set their own)
        self.state.frameChanged.connect(self.loader.request)
        self.state.optionsChanged.connect(self.canvas.set_options)
        self.loader.frameReady.connect(self._frame_ready)
        self.loader.failed.connect(self.statusBar().showMessage)
        self.timeline.playToggled.connect(self.toggle_play)
        self.canvas.set_options(self.state.options)
        self._keep_keys_for_the_window()
        self.resize(1400, 900)
        self.loader.request(0)

    def _build_layout(self) -> None:
        top = QWidget()
        column = QVBoxLayout(top)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.canvas, 1)
        column.addWidget(self.timeline)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(self.plots)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        self.setCentralWidget(splitter)
        dock = QDockWidget("Overlay", self)
        dock.setWidget(self.controls)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)

    def _keep_keys_for_the_window(self) -> None:
        """The step keys work from the first moment and after a click anywhere: the video
        holds the focus; clicking a plot or the people list gives it back to the video, and
        the frame box returns it once a number is entered (it lets ←/→ through meanwhile)."""
        self.canvas.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        for widget in (self.plots.confidence, self.plots.positions, self.controls.people):
            widget.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
            widget.setFocusProxy(self.canvas)
        self.timeline.spin.editingFinished.connect(self.canvas.setFocus)
        self.canvas.setFocus()

    def _build_actions(self) -> None:
        keys = {
            "Left": lambda: self.state.step(-1), "Right": lambda: self.state.step(1),
            "Shift+Left": lambda: self.state.step(-10), "Shift+Right": lambda: self.state.step(10),
            "Home": lambda: self.state.seek(0),
            "End": lambda: self.state.seek(self.state.frame_count - 1),
            "Space": self.toggle_play,
            "PgDown": lambda: self.jump_to_change(1), "PgUp": lambda: self.jump_to_change(-1),
            "Ctrl+E": self.open_export,
        }
        for key, slot in keys.items():
            action = QAction(self, shortcut=QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slot)
            self.addAction(action)
        menu = self.menuBar().addMenu("&File")
        export = menu.addAction("&Export…")
        export.triggered.connect(self.open_export)
        go = self.menuBar().addMenu("&Go")
        go.addAction("Next change in people (PgDown)").triggered.connect(
            lambda: self.jump_to_change(1))
        go.addAction("Previous change in people (PgUp)").triggered.connect(
            lambda: self.jump_to_change(-1))

    def _frame_ready(self, index: int, image: QImage, exact: bool) -> None:
        current = self.state.frame
        if index != current and (not exact or self.canvas.image_index == current):
            return  # stale: never replace the frame asked for, nor show an old preview
        table = self.task.table
        persons = table.persons(index) if index < table.num_frames else []
        self.canvas.show_frame(index, image, persons, exact)

    def jump_to_change(self, step: int) -> None:
        self.state.seek(next_change(self.task.table, self.state.frame, step,
                                    self.state.options.hidden, self.state.frame_count - 1))

    @property
    def playing(self) -> bool:
        return self._play_timer.isActive()

    def toggle_play(self) -> None:
        if self.playing:
            self._play_timer.stop()
        else:
            if self.state.frame >= self.state.frame_count - 1:
                self.state.seek(0)
            self._play_origin = (self.clock(), self.state.frame)
            self._play_timer.start()
        self.timeline.set_playing(self.playing)

    def _play_tick(self) -> None:
        # The frame due now by the clock: when decoding lags, frames are skipped, not queued.
        started, first = self._play_origin
        fps = self.task.summary.source.fps or 30.0
        due = first + int((self.clock() - started) * fps)
        if due >= self.state.frame_count - 1:
            self.state.seek(self.state.frame_count - 1)
            self.toggle_play()
        elif due != self.state.frame:
            self.state.seek(due)

    def open_export(self) -> ExportDialog:
        dialog = ExportDialog(self.task.folder, self)
        dialog.show()
        return dialog

    def closeEvent(self, event) -> None:
        self._play_timer.stop()
        self.loader.close()
        super().closeEvent(event)


def show_viewer(task_dir: Path, parent=None) -> ViewerWindow | None:
    """Open the viewer on ``task_dir`` (the main window's ``resultsRequested``), or tell the
    user in one line why it cannot open (no results yet, video moved, ...)."""
    try:
        window = ViewerWindow(task_dir, parent)
    except AmbientPoseError as exc:
        QMessageBox.warning(parent, "Cannot open the results", str(exc))
        return None
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.show()
    # asked for by the user, so it takes the keyboard at once (without a window manager,
    # under Xvfb, nothing else would activate it and its shortcuts would wait for a click)
    window.raise_()
    window.activateWindow()
    return window
