"""The video frame with its pose overlay, fitted to the widget; hovering names a keypoint."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ambientpose_desktop.core.keypoints import KeypointFormat
from ambientpose_desktop.core.poses import Person
from ambientpose_desktop.gui.viewer.pose_painter import DrawCounts, keypoint_at, paint_poses
from ambientpose_desktop.gui.viewer.state import OverlayOptions

_HOVER_RADIUS_PX = 8


class FrameCanvas(QWidget):
    def __init__(self, fmt: KeypointFormat, image_size: tuple[int, int], parent=None) -> None:
        super().__init__(parent)
        self.fmt = fmt
        self.image_size = image_size
        self.image: QImage | None = None
        self.image_index = -1
        self.image_exact = False  # False while the scrub proxy's smaller image is shown
        self.persons: list[Person] = []
        self.options = OverlayOptions()
        self.last_counts = DrawCounts()
        self.setMouseTracking(True)
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_frame(self, index: int, image: QImage, persons: list[Person],
                   exact: bool = True) -> None:
        self.image_index, self.image, self.persons = index, image, persons
        self.image_exact = exact
        self.update()

    def set_options(self, options: OverlayOptions) -> None:
        self.options = options
        self.update()

    def _placement(self) -> tuple[QRectF, float]:
        """Where the image goes in the widget, and its scale (aspect kept, centred)."""
        w, h = self.image_size
        scale = min(self.width() / w, self.height() / h)
        rect = QRectF(0, 0, w * scale, h * scale)
        rect.moveCenter(QPointF(self.width() / 2, self.height() / 2))
        return rect, scale

    def to_image(self, pos: QPointF) -> QPointF:
        rect, scale = self._placement()
        return QPointF((pos.x() - rect.x()) / scale, (pos.y() - rect.y()) / scale)

    def to_widget(self, x: float, y: float) -> QPointF:
        rect, scale = self._placement()
        return QPointF(rect.x() + x * scale, rect.y() + y * scale)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(18, 18, 20))
        if self.image is None:
            return
        rect, scale = self._placement()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(rect, self.image)
        painter.translate(rect.topLeft())
        painter.scale(scale, scale)
        self.last_counts = paint_poses(painter, self.persons, self.fmt, self.options, scale)
        painter.resetTransform()
        if not self.image_exact:  # say so while the small scrub-proxy image stands in
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(rect.adjusted(8, 6, -8, -6).toRect(), 0, "preview")
        painter.end()

    def hover_text(self, pos: QPointF) -> str:
        """Tooltip for widget point ``pos``: keypoint name, track, x, y, score; '' if none."""
        _, scale = self._placement()
        point = self.to_image(pos)
        hit = keypoint_at(self.persons, self.options, point.x(), point.y(),
                          _HOVER_RADIUS_PX / scale)
        if hit is None:
            return ""
        person, k = hit
        x, y, s = person.keypoints[k]
        return (f"{self.fmt.names[k]} · track {person.idx}\n"
                f"x {x:.1f}  y {y:.1f}  score {s:.2f}")

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        text = self.hover_text(event.position())
        if text:
            QToolTip.showText(event.globalPosition().toPoint(), text, self)
        else:
            QToolTip.hideText()
        super().mouseMoveEvent(event)
