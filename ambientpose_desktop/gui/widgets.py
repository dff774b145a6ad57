"""Small building blocks shared by the window's dialogs and menus."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QMenu,
    QPushButton,
    QSpinBox,
    QToolBar,
    QWidget,
)

from ambientpose_desktop.core.params import ParamSpec


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


def number_field(spec: ParamSpec, value: float | int | None,
                 step: float | None = None) -> QSpinBox | QDoubleSpinBox:
    """A spin box held to ``spec``'s bounds (the declaration the CLI and API check too). An
    optional parameter gets one more step below its minimum that reads "auto" (``None``):
    read it back with ``number_value``."""
    if spec.kind == "int":
        box: QSpinBox | QDoubleSpinBox = QSpinBox()
        limit = 2**31 - 1
    else:
        box = QDoubleSpinBox(decimals=2 if (spec.maximum or 0) <= 1 else 3)
        limit = 1e12
    low = spec.minimum if spec.minimum is not None else -limit
    if spec.optional:
        low -= 1
        box.setSpecialValueText("auto")
    box.setRange(low, spec.maximum if spec.maximum is not None else limit)
    if step is not None:
        box.setSingleStep(step)
    shown = spec.default if value is None else value
    box.setValue(low if shown is None else shown)
    box.setToolTip(f"{spec.help} ({spec.describe()})" if spec.describe() else spec.help)
    return box


def number_value(box: QSpinBox | QDoubleSpinBox) -> float | int | None:
    """What a ``number_field`` holds; ``None`` when it reads "auto"."""
    return None if box.specialValueText() and box.value() == box.minimum() else box.value()
