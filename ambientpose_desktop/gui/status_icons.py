"""One small drawn icon and colour per task status, so the table reads at a glance without
shipping a bitmap per state."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

from ambientpose_desktop.core.tasks import TaskStatus

STATUS_COLORS: dict[TaskStatus, str] = {
    TaskStatus.PENDING: "#8a94a6",
    TaskStatus.RUNNING: "#2f80ed",
    TaskStatus.SUCCESS: "#27ae60",
    TaskStatus.FAILED: "#e5484d",
    TaskStatus.CANCELED: "#f2994a",
}

STATUS_LABELS: dict[TaskStatus, str] = {
    TaskStatus.PENDING: "Queued",
    TaskStatus.RUNNING: "Running",
    TaskStatus.SUCCESS: "Done",
    TaskStatus.FAILED: "Failed",
    TaskStatus.CANCELED: "Canceled",
}

# The integrity check's badge (``core.media_check.MediaCheck.badge``).
CHECK_LABELS = {"ok": "OK", "warning": "Warning", "damaged": "Damaged"}
CHECK_COLORS = {"ok": STATUS_COLORS[TaskStatus.SUCCESS], "warning": "#f2994a",
                "damaged": STATUS_COLORS[TaskStatus.FAILED]}


def status_color(status: TaskStatus) -> QColor:
    return QColor(STATUS_COLORS[status])


def _glyph(status: TaskStatus) -> QPainterPath:
    """The mark inside the circle, in a 16 x 16 box."""
    path = QPainterPath()
    if status == TaskStatus.SUCCESS:
        path.moveTo(4.5, 8.3)
        path.lineTo(7.0, 10.8)
        path.lineTo(11.5, 5.6)
    elif status == TaskStatus.FAILED:
        path.moveTo(5.5, 5.5)
        path.lineTo(10.5, 10.5)
        path.moveTo(10.5, 5.5)
        path.lineTo(5.5, 10.5)
    elif status == TaskStatus.CANCELED:
        path.moveTo(5.0, 8.0)
        path.lineTo(11.0, 8.0)
    elif status == TaskStatus.PENDING:
        path.moveTo(8.0, 4.8)
        path.lineTo(8.0, 8.2)
        path.lineTo(10.4, 9.6)
    return path


def _pen(color: QColor, width: float) -> QPen:
    return QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                Qt.PenJoinStyle.RoundJoin)


@cache
def status_icon(status: TaskStatus) -> QIcon:
    scale = 4
    pixmap = QPixmap(16 * scale, 16 * scale)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(scale, scale)
    color = status_color(status)
    if status == TaskStatus.PENDING:
        painter.setPen(QPen(color, 1.6))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(QRectF(1.8, 1.8, 12.4, 12.4))
        painter.setPen(_pen(color, 1.6))
    else:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawEllipse(QRectF(1, 1, 14, 14))
        painter.setPen(_pen(QColor("white"), 1.9))
    if status == TaskStatus.RUNNING:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("white"))
        painter.drawPolygon([QPointF(6.3, 4.8), QPointF(11.4, 8.0), QPointF(6.3, 11.2)])
    else:
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(_glyph(status))
    painter.end()
    return QIcon(pixmap)
