"""Track lanes under the timeline: one row per identity, coloured where it is present.

The whole video spans the width, as on the slider and the plots. Each lane's presence is
binned to the pixel columns once (NumPy) and kept until that identity is edited or the width
changes; painting is then one image scaled to the lanes, the names and the frame marker, so
an hour with dozens of identities paints in a few milliseconds. Clicking a lane seeks there
and selects that identity; Shift+click marks it as the other one of a merge or swap.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ambientpose_desktop.core.edited_table import EditedTable
from ambientpose_desktop.core.palette import track_color
from ambientpose_desktop.gui.viewer.canvas import show_tooltip
from ambientpose_desktop.gui.viewer.state import Selection, ViewerState

LANE_HEIGHT = 14
NAMES_WIDTH = 120
_EMPTY = (40, 40, 46)


class TrackLanes(QWidget):
    def __init__(self, state: ViewerState, table: EditedTable, parent=None) -> None:
        super().__init__(parent)
        self._state, self._table = state, table
        self._ids: list[int] = []
        self._presence: dict[int, np.ndarray] = {}  # id -> (columns,) bool
        self._columns = 0
        self._image: QImage | None = None
        self._pixels = np.zeros((0, 0, 4), np.uint8)  # the memory ``_image`` reads
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        state.frameChanged.connect(lambda _: self.update())
        state.selectionChanged.connect(lambda _: self.update())
        state.optionsChanged.connect(lambda _: self.update())
        self.refresh()

    @property
    def identities(self) -> list[int]:
        return self._ids

    def set_table(self, table: EditedTable) -> None:
        self._table = table
        self._presence.clear()
        self.refresh()

    def refresh(self, changed: Iterable[int] | None = None) -> None:
        """Follow the results after an edit of ``changed`` identities (None: all of them)."""
        if changed is None:
            self._presence.clear()
        for identity in changed or ():
            self._presence.pop(identity, None)
        self._ids = self._table.identities()
        self._image = None
        self.setFixedHeight(max(len(self._ids), 1) * LANE_HEIGHT)
        self.update()

    # -- geometry ------------------------------------------------------------------------

    def _lane_width(self) -> int:
        return max(self.width() - NAMES_WIDTH, 1)

    def frame_at(self, x: float) -> int:
        last = self._state.frame_count - 1
        return int(np.clip(round((x - NAMES_WIDTH) / self._lane_width() * last), 0, last))

    def x_of(self, frame: int) -> float:
        return NAMES_WIDTH + frame / max(self._state.frame_count - 1, 1) * self._lane_width()

    def identity_at(self, y: float) -> int | None:
        lane = int(y // LANE_HEIGHT)
        return self._ids[lane] if 0 <= lane < len(self._ids) else None

    def lane_centre(self, identity: int, frame: int) -> QPointF:
        """Where to click on ``identity``'s lane to reach ``frame`` (tests, screenshots)."""
        return QPointF(self.x_of(frame), (self._ids.index(identity) + 0.5) * LANE_HEIGHT)

    # -- painting ------------------------------------------------------------------------

    def _present(self, identity: int, columns: int) -> np.ndarray:
        if identity not in self._presence:
            frames = self._table.frames_of(identity)
            count = max(self._state.frame_count, 1)
            if count >= columns:  # a column spans frames: present if in any of them
                present = np.zeros(columns, bool)
                present[np.minimum(frames * columns // count, columns - 1)] = True
            else:  # a frame spans columns: each column shows the frame under its middle
                seen = np.zeros(count, bool)
                seen[frames[frames < count]] = True
                present = seen[(np.arange(columns) * count + count // 2) // columns]
            self._presence[identity] = present
        return self._presence[identity]

    def _lanes_image(self) -> QImage:
        columns = self._lane_width()
        if self._image is not None and columns == self._columns:
            return self._image
        if columns != self._columns:
            self._presence.clear()
            self._columns = columns
        pixels = np.empty((max(len(self._ids), 1), columns, 4), np.uint8)
        pixels[...] = (*_EMPTY[::-1], 255)  # BGRA, as QImage.Format_RGB32 lays it out
        for lane, identity in enumerate(self._ids):
            r, g, b = track_color(identity)
            pixels[lane, self._present(identity, columns)] = (b, g, r, 255)
        self._pixels = pixels
        self._image = QImage(pixels.data, columns, len(pixels), columns * 4,
                             QImage.Format.Format_RGB32)
        return self._image

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(24, 24, 28))
        lanes = QRectF(NAMES_WIDTH, 0, self._lane_width(), len(self._ids) * LANE_HEIGHT)
        painter.drawImage(lanes, self._lanes_image())
        selection: Selection = self._state.selection
        hidden = self._state.options.hidden
        for lane, identity in enumerate(self._ids):
            top = lane * LANE_HEIGHT
            if identity in (selection.identity, selection.other):
                pen = QPen(QColor(255, 255, 255), 1.5, Qt.PenStyle.SolidLine
                           if identity == selection.identity else Qt.PenStyle.DashLine)
                painter.setPen(pen)
                painter.drawRect(QRectF(1, top + 1, self.width() - 2, LANE_HEIGHT - 2))
            painter.fillRect(QRect(4, top + 3, 8, LANE_HEIGHT - 6), QColor(*track_color(identity)))
            painter.setPen(QColor(120, 120, 120) if identity in hidden else QColor(220, 220, 220))
            painter.drawText(QRect(16, top, NAMES_WIDTH - 20, LANE_HEIGHT),
                             Qt.AlignmentFlag.AlignVCenter, self._table.label(identity))
        painter.setPen(QPen(QColor(255, 255, 255), 1.5))
        x = self.x_of(self._state.frame)
        painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        painter.end()

    # -- the mouse -----------------------------------------------------------------------

    def hover_text(self, pos: QPointF) -> str:
        identity = self.identity_at(pos.y())
        if identity is None:
            return ""
        s = self._table.stats(identity)
        return (f"{self._table.label(identity)}\nframes {s.first}–{s.last} · "
                f"{s.detections} detections · mean score {s.mean_score:.2f}")

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        identity = self.identity_at(event.position().y())
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            if identity is not None:
                self._state.select(identity, other=True)
            return
        if identity is not None:
            self._state.select(identity)
        if event.position().x() >= NAMES_WIDTH:
            self._state.seek(self.frame_at(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        show_tooltip(self, event, self.hover_text(event.position()))
        super().mouseMoveEvent(event)
