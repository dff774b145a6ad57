"""Plots over time under the video (pyqtgraph): per-track mean keypoint confidence, and x/y of
a chosen keypoint. Both mark the current frame; clicking one seeks there."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ambientpose_desktop.core.keypoints import KeypointFormat
from ambientpose_desktop.core.palette import track_color
from ambientpose_desktop.core.pose_series import keypoint_xy, mean_confidence, track_ids
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.gui.viewer.state import OverlayOptions, ViewerState


def _span(frames: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every frame from the track's first to its last, NaN where it is absent (lines break at
    gaps); only its own span, so hundreds of short tracks stay cheap on long videos."""
    if not len(frames):
        return np.zeros(0), np.zeros(0, np.float32)
    first = int(frames[0])
    out = np.full(int(frames[-1]) - first + 1, np.nan, np.float32)
    out[frames - first] = values
    return np.arange(first, first + len(out)), out


class PosePlots(QWidget):
    def __init__(self, state: ViewerState, table: PoseTable, fmt: KeypointFormat,
                 parent=None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=True, background=(24, 24, 28), foreground=(200, 200, 200))
        self._state, self._table, self._fmt = state, table, fmt
        self._tracks = track_ids(table)
        self.keypoint_box = QComboBox()
        self.keypoint_box.addItems(fmt.names[: table.num_keypoints])
        self.keypoint_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.keypoint_box.currentIndexChanged.connect(self._plot_positions)
        self.confidence = self._plot("Mean keypoint confidence per track", "score")
        self.confidence.setYRange(0, 1)
        self.positions = self._plot("x (solid) and y (dashed) of the chosen keypoint", "px")
        self.positions.getViewBox().invertY(False)
        self.markers = [self._marker(p) for p in (self.confidence, self.positions)]
        self.curves: dict[str, list[pg.PlotDataItem]] = {"confidence": [], "positions": []}
        picker = QHBoxLayout()
        picker.addWidget(QLabel("Keypoint:"))
        picker.addWidget(self.keypoint_box)
        picker.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(picker)
        row = QHBoxLayout()
        row.addWidget(self.confidence)
        row.addWidget(self.positions)
        layout.addLayout(row)
        self._plot_confidence()
        self._plot_positions()
        state.frameChanged.connect(self._mark)
        state.optionsChanged.connect(self._apply_hidden)

    def _plot(self, title: str, unit: str) -> pg.PlotWidget:
        plot = pg.PlotWidget(title=title)
        plot.setLabel("bottom", "frame")
        plot.setLabel("left", unit)
        plot.setMinimumHeight(150)
        plot.showGrid(x=True, y=True, alpha=0.2)
        # the whole video, even where results stop (after --max-frames)
        plot.setXRange(0, max(self._state.frame_count - 1, 1), padding=0.01)
        plot.setMouseEnabled(x=True, y=False)
        plot.getPlotItem().setDownsampling(auto=True, mode="peak")
        plot.getPlotItem().setClipToView(True)
        plot.scene().sigMouseClicked.connect(lambda ev, p=plot: self._clicked(p, ev))
        return plot

    def _marker(self, plot: pg.PlotWidget) -> pg.InfiniteLine:
        line = pg.InfiniteLine(pos=self._state.frame, angle=90,
                               pen=pg.mkPen((255, 255, 255), width=1.5))
        plot.addItem(line)
        return line

    def _pen(self, track: int, dashed: bool = False) -> pg.QtGui.QPen:
        style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
        # width 1 (cosmetic): wider antialiased pens make Qt stroke long curves 100x slower
        return pg.mkPen(track_color(track), width=1, style=style)

    def _plot_confidence(self) -> None:
        for track in self._tracks:
            frames, values = mean_confidence(self._table, track)
            curve = self.confidence.plot(*_span(frames, values), pen=self._pen(track),
                                         connect="finite", name=f"#{track}")
            curve.track = track
            self.curves["confidence"].append(curve)

    def _plot_positions(self) -> None:
        for curve in self.curves["positions"]:
            self.positions.removeItem(curve)
        self.curves["positions"] = []
        keypoint = max(self.keypoint_box.currentIndex(), 0)
        for track in self._tracks:
            frames, xs, ys = keypoint_xy(self._table, track, keypoint)
            for values, dashed in ((xs, False), (ys, True)):
                curve = self.positions.plot(*_span(frames, values),
                                            pen=self._pen(track, dashed), connect="finite")
                curve.track = track
                self.curves["positions"].append(curve)
        self._apply_hidden(self._state.options)

    def _apply_hidden(self, options: OverlayOptions) -> None:
        for curves in self.curves.values():
            for curve in curves:
                curve.setVisible(curve.track not in options.hidden)

    def _mark(self, frame: int) -> None:
        for line in self.markers:
            line.setValue(frame)

    def frame_at(self, plot: pg.PlotWidget, scene_pos) -> int | None:
        """Frame under scene point ``scene_pos`` of ``plot``, or None outside its plot area."""
        box = plot.getViewBox()
        if not box.sceneBoundingRect().contains(scene_pos):
            return None
        return round(box.mapSceneToView(scene_pos).x())

    def _clicked(self, plot: pg.PlotWidget, event) -> None:
        frame = self.frame_at(plot, event.scenePos())
        if frame is not None and event.button() == Qt.MouseButton.LeftButton:
            self._state.seek(frame)
