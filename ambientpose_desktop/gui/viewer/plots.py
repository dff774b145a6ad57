"""Plots over time under the video (pyqtgraph): per-track mean keypoint confidence, and x/y of
a chosen keypoint, of the edited results. Both mark the current frame; clicking one seeks
there. After an edit only the curves of the identities it changed are drawn again.

Once the task has a filtered layer (or the Filter dialog previews one), the positions plot
draws the edited results as points and the filtered results as lines over them.

Making a curve costs pyqtgraph a few milliseconds, and an hour with dozens of identities has
a hundred and more: the window shows its first frame, then the curves fill in a few
identities per turn of the event loop (``fill_in``; at once with ``synchronous``, for tests)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGraphicsItem,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ambientpose_desktop.core.edited_table import EditedTable
from ambientpose_desktop.core.keypoints import KeypointFormat
from ambientpose_desktop.core.palette import track_color
from ambientpose_desktop.core.pose_series import keypoint_xy, mean_confidence
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.gui.viewer.filtered import FilteredLayer
from ambientpose_desktop.gui.viewer.state import OverlayOptions, ViewerState

FILL_BATCH = 3  # identities whose curves are made per turn of the event loop at open
_LINES_TITLE = "x (solid) and y (dashed) of the chosen keypoint"
_POINTS_TITLE = "detected x ● y ▲, filtered x — y - -"


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
    filledIn = Signal()  # the fill at open is done (``fill_in``)

    def __init__(self, state: ViewerState, table: EditedTable, fmt: KeypointFormat,
                 synchronous: bool = False, filtered: FilteredLayer | None = None,
                 parent=None) -> None:
        super().__init__(parent)
        self._filtered = filtered
        self._points = False  # the edited results drawn as points (a filtered line exists)
        self.filtered_curves: dict[tuple[int, bool], pg.PlotDataItem] = {}  # (id, dashed)
        pg.setConfigOptions(antialias=True, background=(24, 24, 28), foreground=(200, 200, 200))
        self._state, self._table, self._fmt = state, table, fmt
        self.keypoint_box = QComboBox()
        self.keypoint_box.addItems(fmt.names[: table.num_keypoints])
        self.keypoint_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.keypoint_box.currentIndexChanged.connect(lambda _: self._keypoint_changed())
        self.confidence = self._plot("Mean keypoint confidence per track", "score")
        self.confidence.setYRange(0, 1)
        self.positions = self._plot(_LINES_TITLE, "px")
        self.positions.getViewBox().invertY(False)
        self.markers = [self._marker(p) for p in (self.confidence, self.positions)]
        self.curves: dict[str, list[pg.PlotDataItem]] = {"confidence": [], "positions": []}
        self._items: dict[tuple[str, int, bool], pg.PlotDataItem] = {}  # (plot, id, dashed)
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
        if synchronous:
            self.refresh()
        if filtered is not None:
            filtered.changed.connect(self.draw_filtered)
            # the filtered lines come with the curves: after them when those fill in later
            self.draw_filtered(lines=synchronous)
        state.frameChanged.connect(self._mark)
        state.optionsChanged.connect(self._apply_hidden)

    def _plot(self, title: str, unit: str) -> pg.PlotWidget:
        plot = pg.PlotWidget(title=title)
        plot.setLabel("bottom", "frame")
        plot.setLabel("left", unit)
        plot.setMinimumHeight(150)
        plot.showGrid(x=True, y=True, alpha=0.2)
        # the axes draw the grid over the whole plot, and any curve that changes dirties it:
        # painted from a cache until their range or size changes (5 ms each, an edit's
        # largest cost, when drawn afresh)
        for side in ("left", "bottom"):
            plot.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
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

    @property
    def filled(self) -> bool:
        """Every identity has its curves (the fill at open is done)."""
        return {k[1] for k in self._items} == set(self._table.identities())

    def fill_in(self) -> None:
        """Make the curves a few identities at a time, between the window's other events
        (the window calls this once its first frame is shown)."""
        self._fill(self._table, self._table.identities())

    def _fill(self, table: EditedTable, identities: list[int]) -> None:
        if table is not self._table:
            return  # the results were read again meanwhile: set_table drew them all
        if not identities:
            self.draw_filtered()
            self.filledIn.emit()
            return
        self.refresh(identities[:FILL_BATCH])
        # With self as context, the call is dropped if the plots are deleted before it runs.
        QTimer.singleShot(0, self, lambda: self._fill(table, identities[FILL_BATCH:]))

    def set_table(self, table: EditedTable) -> None:
        self._table = table
        self.refresh()

    def refresh(self, changed: Iterable[int] | None = None, positions: bool = False) -> None:
        """Draw again the curves of the ``changed`` identities (None: all), or with
        ``positions`` only the positions of everyone, for another keypoint. Curves that stay
        get new data; only those of new identities are added, of gone ones removed."""
        # ranges are fitted once at the end: fitting after each curve made adding n curves
        # cost n² curve updates, and fitting after a removal (a merge) could narrow the range
        # and widen it again, which redraws every curve twice
        self.positions.getViewBox().disableAutoRange()
        present = set(self._table.identities())
        for key in [k for k in self._items if k[1] not in present]:
            (self.confidence if key[0] == "confidence" else self.positions).removeItem(
                self._items.pop(key))
        keypoint = max(self.keypoint_box.currentIndex(), 0)
        redo = present if changed is None or positions else present & set(changed)
        for track in sorted(redo):
            if not positions:
                self._show("confidence", track, *mean_confidence(self._table, track))
            frames, xs, ys = keypoint_xy(self._table, track, keypoint)
            self._show("positions", track, frames, xs)
            self._show("positions", track, frames, ys, dashed=True)
        self.positions.getViewBox().enableAutoRange(axis=pg.ViewBox.YAxis)
        for name in self.curves:
            self.curves[name] = [self._items[k] for k in sorted(self._items) if k[0] == name]
        self._apply_hidden(self._state.options)

    def _show(self, name: str, track: int, frames: np.ndarray, values: np.ndarray,
              dashed: bool = False) -> None:
        key = (name, track, dashed)
        if key in self._items:
            self._items[key].setData(*_span(frames, values))
            return
        plot = self.confidence if name == "confidence" else self.positions
        curve = plot.plot(*_span(frames, values), connect="finite")
        curve.dashed = dashed
        self._style(curve, track, points=name == "positions" and self._points)
        # painted from a cache while unchanged: an edit, or the frame marker moving, then
        # repaints only the curves that changed, not dozens of hour-long ones
        curve.curve.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        curve.track = track
        self._items[key] = curve

    def _style(self, curve: pg.PlotDataItem, track: int, points: bool) -> None:
        """A line, or (under a filtered line) points: ● for x, ▲ for y."""
        if points:
            color = track_color(track)
            curve.setPen(None)
            curve.setSymbol("t" if curve.dashed else "o")
            curve.setSymbolSize(5)
            curve.setSymbolPen(None)
            curve.setSymbolBrush(pg.mkBrush(*color, 200))
            # as the lines: painted from a cache while unchanged (the marker moves, a preview)
            curve.scatter.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        else:
            curve.setSymbol(None)
            curve.setPen(self._pen(track, curve.dashed))

    def _keypoint_changed(self) -> None:
        self.refresh(positions=True)
        self.draw_filtered()

    def draw_filtered(self, lines: bool = True) -> None:
        """Draw the filtered layer (or the Filter dialog's preview) as lines over the edited
        results, which become points; without one, the edited results are lines again.
        Without ``lines`` only the style and title are set (at open, before the curves)."""
        table, first = (None, 0) if self._filtered is None else self._filtered.shown_in_plots()
        points = table is not None
        if points != self._points:
            self._points = points
            for key, curve in self._items.items():
                if key[0] == "positions":
                    self._style(curve, key[1], points)
        title = _POINTS_TITLE if points else _LINES_TITLE
        if self._filtered is not None and self._filtered.preview is not None:
            title += " · PREVIEW"
        elif points and self._filtered.stale:
            title += " · OUT OF DATE"
        self.positions.setTitle(title)
        if not lines:
            return
        drawn = self._filtered_lines(table, first) if table is not None else set()
        for key in set(self.filtered_curves) - drawn:
            self.positions.removeItem(self.filtered_curves.pop(key))
        self._apply_hidden(self._state.options)

    def _filtered_lines(self, table: PoseTable, first: int) -> set[tuple[int, bool]]:
        """The filtered x and y lines of each identity of ``table`` (frame 0 is ``first``):
        curves that stay get new data. They are left out of the plot's range (the points
        under them set it), so a preview does not make every curve be drawn again."""
        keypoint = max(self.keypoint_box.currentIndex(), 0)
        frame_of = table.frame_of_row() + first
        order = np.argsort(table.idx, kind="stable")  # each identity's rows in frame order
        ids, starts = np.unique(table.idx[order], return_index=True)
        drawn = set()
        for identity, rows in zip(ids.tolist(), np.split(order, starts[1:]), strict=True):
            if identity < 0:
                continue
            points = table.keypoints[rows, keypoint]
            for dashed, values in ((False, points[:, 0]), (True, points[:, 1])):
                key = (identity, dashed)
                data = _span(frame_of[rows], values)
                curve = self.filtered_curves.get(key)
                if curve is None:
                    curve = pg.PlotDataItem(*data, pen=self._pen(identity, dashed),
                                            connect="finite")
                    curve.curve.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
                    curve.track = identity
                    self.positions.addItem(curve, ignoreBounds=True)
                    self.filtered_curves[key] = curve
                else:
                    curve.setData(*data)
                drawn.add(key)
        return drawn

    def _apply_hidden(self, options: OverlayOptions) -> None:
        for curves in (*self.curves.values(), self.filtered_curves.values()):
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
