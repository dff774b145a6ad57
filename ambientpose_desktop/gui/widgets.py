"""Small building blocks shared by the window's dialogs and menus."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QMenu, QPushButton, QToolBar, QWidget


def with_button(field: QWidget, button: QPushButton) -> QWidget:
    """``field`` stretched, ``button`` at its right, as one form row."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(field, 1)
    layout.addWidget(button)
    return row


def add_actions(target: QMenu | QToolBar, actions: Iterable[QAction | None]) -> None:
    """Add ``actions`` in order; ``None`` is a separator."""
    for action in actions:
        if action is None:
            target.addSeparator()
        else:
            target.addAction(action)
