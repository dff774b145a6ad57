"""Pose overlays drawn with QPainter from the results: only drawing, no decoding or I/O.

Skeletons take their track's colour (core.palette); keypoints are filled by confidence (dark
red for weak, bright yellow-white for sure), so doubtful joints stand out while scrubbing.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen

from ambientpose_desktop.core.keypoints import KeypointFormat
from ambientpose_desktop.core.palette import track_color
from ambientpose_desktop.core.poses import Person
from ambientpose_desktop.gui.viewer.state import OverlayOptions


@dataclass
class DrawCounts:
    """What the last paint drew; lets tests check that toggles and threshold take effect."""

    people: int = 0
    edges: int = 0
    keypoints: int = 0
    boxes: int = 0
    labels: int = 0


def confidence_color(score: float) -> QColor:
    s = max(0.0, min(1.0, score))
    return QColor.fromRgbF(0.55 + 0.45 * s, 0.1 + 0.9 * s, 0.1 + 0.7 * s * s, 0.95)


def visible_people(persons: list[Person], options: OverlayOptions) -> list[Person]:
    return [p for p in persons if p.idx not in options.hidden]


def paint_poses(painter: QPainter, persons: list[Person], fmt: KeypointFormat,
                options: OverlayOptions, scale: float) -> DrawCounts:
    """Draw ``persons`` in image coordinates; ``scale`` (screen px per image px) keeps line
    widths constant on screen whatever the zoom."""
    counts = DrawCounts()
    width = 2.0 / scale
    radius = 3.5 / scale
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    for person in visible_people(persons, options):
        counts.people += 1
        color = QColor(*track_color(person.idx))
        # plain floats: PySide6 mishandles NumPy scalars passed to QPointF (refcount crash)
        kp = person.keypoints.tolist()
        ok = (person.keypoints[:, 2] >= options.threshold).tolist()
        if options.boxes:
            painter.setPen(QPen(color, width, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(*person.box))
            counts.boxes += 1
        if options.labels and person.idx >= 0:
            _label(painter, person, color, scale)
            counts.labels += 1
        if options.skeleton:
            painter.setPen(QPen(color, width * 1.6, Qt.PenStyle.SolidLine,
                                Qt.PenCapStyle.RoundCap))
            for a, b in fmt.skeleton:
                if a < len(kp) and b < len(kp) and ok[a] and ok[b]:
                    painter.drawLine(QPointF(kp[a][0], kp[a][1]), QPointF(kp[b][0], kp[b][1]))
                    counts.edges += 1
        if options.keypoints:
            painter.setPen(QPen(QColor(20, 20, 20), width * 0.6))
            for (x, y, s), shown in zip(kp, ok, strict=True):
                if shown:
                    painter.setBrush(confidence_color(s))
                    painter.drawEllipse(QPointF(x, y), radius, radius)
                    counts.keypoints += 1
    return counts


def _label(painter: QPainter, person: Person, color: QColor, scale: float) -> None:
    font = QFont()
    font.setPointSizeF(11 / scale)
    font.setBold(True)
    painter.setFont(font)
    text = f"#{person.idx}"
    x, y = person.box[0], person.box[1]
    rect = painter.fontMetrics().boundingRect(text).toRectF().adjusted(-3 / scale, 0, 3 / scale, 0)
    rect.moveBottomLeft(QPointF(x, y))
    painter.fillRect(rect, color)
    painter.setPen(QColor(0, 0, 0))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


def keypoint_at(persons: list[Person], options: OverlayOptions, x: float, y: float,
                radius: float) -> tuple[Person, int] | None:
    """The drawn keypoint nearest to image point (x, y) within ``radius`` image pixels."""
    best: tuple[float, Person, int] | None = None
    for person in visible_people(persons, options):
        kp = person.keypoints
        d2 = (kp[:, 0] - x) ** 2 + (kp[:, 1] - y) ** 2
        d2[kp[:, 2] < options.threshold] = float("inf")
        k = int(d2.argmin())
        if d2[k] <= radius * radius and (best is None or d2[k] < best[0]):
            best = (float(d2[k]), person, k)
    return None if best is None else (best[1], best[2])
