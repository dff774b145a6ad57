"""Pose overlays drawn with QPainter from the results: only drawing, no decoding or I/O.

Skeletons take their track's colour (core.palette); keypoints are filled by confidence (dark
red for weak, bright yellow-white for sure), so doubtful joints stand out while scrubbing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen

from ambientpose_desktop.core.keypoints import KeypointFormat
from ambientpose_desktop.core.palette import track_color
from ambientpose_desktop.core.poses import Person
from ambientpose_desktop.gui.viewer.state import OverlayOptions, Selection

NOBODY = Selection()


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
                options: OverlayOptions, scale: float,
                selection: Selection = NOBODY) -> DrawCounts:
    """Draw ``persons`` in image coordinates; ``scale`` (screen px per image px) keeps line
    widths constant on screen whatever the zoom. The selected person gets a white frame, the
    other one of a merge or swap a dashed white one."""
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
        if person.idx in (selection.identity, selection.other):
            style = (Qt.PenStyle.SolidLine if person.idx == selection.identity
                     else Qt.PenStyle.DashLine)
            painter.setPen(QPen(QColor(255, 255, 255), width * 2, style))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            pad = 4 / scale
            painter.drawRect(QRectF(*person.box).adjusted(-pad, -pad, pad, pad))
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


_REJECTED = QColor(210, 210, 210, 150)  # faint: not an identity, only there to be promoted


def paint_rejected(painter: QPainter, persons: list[Person], fmt: KeypointFormat,
                   options: OverlayOptions, scale: float, picked: int | None) -> int:
    """Draw rejected detections faintly (grey, thin, dashed box); the ``picked`` one (its
    index in ``persons``) with a white frame. Returns how many were drawn."""
    width = 1.2 / scale
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    for i, person in enumerate(persons):
        kp = person.keypoints.tolist()
        ok = (person.keypoints[:, 2] >= options.threshold).tolist()
        if i == picked:
            painter.setPen(QPen(QColor(255, 255, 255), width * 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(*person.box))
        painter.setPen(QPen(_REJECTED, width, Qt.PenStyle.DotLine))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(*person.box))
        painter.setPen(QPen(_REJECTED, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        for a, b in fmt.skeleton:
            if a < len(kp) and b < len(kp) and ok[a] and ok[b]:
                painter.drawLine(QPointF(kp[a][0], kp[a][1]), QPointF(kp[b][0], kp[b][1]))
    return len(persons)


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


def _segment_distance(px: float, py: float, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distances from point (px, py) to the segments ``a[i]``–``b[i]`` ((n, 2) arrays)."""
    ab = b - a
    t = np.clip(((px - a[:, 0]) * ab[:, 0] + (py - a[:, 1]) * ab[:, 1])
                / np.maximum((ab ** 2).sum(axis=1), 1e-9), 0, 1)
    return np.hypot(a[:, 0] + t * ab[:, 0] - px, a[:, 1] + t * ab[:, 1] - py)


def person_at(persons: list[Person], fmt: KeypointFormat, options: OverlayOptions, x: float,
              y: float, radius: float) -> Person | None:
    """The person drawn at image point (x, y): the one whose keypoint or bone is nearest
    within ``radius``, else the smallest box around the point."""
    shown = visible_people(persons, options)
    best: tuple[float, Person] | None = None
    edges = np.asarray(fmt.skeleton, np.int64).reshape(-1, 2)
    for person in shown:
        kp = person.keypoints
        ok = kp[:, 2] >= options.threshold
        near = np.hypot(kp[ok, 0] - x, kp[ok, 1] - y)
        usable = edges[(edges < len(kp)).all(axis=1)]
        usable = usable[ok[usable[:, 0]] & ok[usable[:, 1]]]
        if len(usable):
            near = np.r_[near, _segment_distance(x, y, kp[usable[:, 0], :2],
                                                 kp[usable[:, 1], :2])]
        if len(near) and near.min() <= radius and (best is None or near.min() < best[0]):
            best = (float(near.min()), person)
    if best is not None:
        return best[1]
    inside = [p for p in shown
              if p.box[0] <= x <= p.box[0] + p.box[2] and p.box[1] <= y <= p.box[1] + p.box[3]]
    return min(inside, key=lambda p: p.box[2] * p.box[3], default=None)
