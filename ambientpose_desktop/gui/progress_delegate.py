"""Draws the Progress column as a bar coloured by the task's status, with frames done / total."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ambientpose_desktop.gui.status_icons import status_color
from ambientpose_desktop.gui.task_model import PROGRESS_ROLE


class ProgressDelegate(QStyledItemDelegate):
    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        value = index.data(PROGRESS_ROLE)
        if value is None:
            super().paint(painter, option, index)
            return
        fraction, text, status = value
        # Selection and hover background from the style, then our own bar on top.
        background = QStyleOptionViewItem(option)
        self.initStyleOption(background, index)
        background.text = ""
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, background, painter,
                              option.widget)
        rect = QRectF(option.rect).adjusted(6, 7, -6, -7)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(127, 127, 127, 45))
        painter.drawRoundedRect(rect, 3, 3)
        if fraction > 0:
            filled = QRectF(rect)
            filled.setWidth(max(rect.height(), rect.width() * fraction))
            painter.setBrush(status_color(status))
            painter.drawRoundedRect(filled, 3, 3)
        if text:
            font = painter.font()
            font.setPointSizeF(font.pointSizeF() * 0.9)
            painter.setFont(font)
            painter.setPen(option.palette.text().color())
            painter.drawText(QRectF(option.rect), Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()
