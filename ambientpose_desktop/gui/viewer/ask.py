"""The questions the viewer's actions may ask, as small dialogs (``actions.Ask``)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QMessageBox,
    QSpinBox,
    QWidget,
)


class DialogAsk:
    def __init__(self, parent: QWidget) -> None:
        self._parent = parent

    def identity(self, title: str, choices: list[tuple[int, str]]) -> int | None:
        labels = [label for _, label in choices]
        label, ok = QInputDialog.getItem(self._parent, title, "Identity:", labels, 0, False)
        return choices[labels.index(label)][0] if ok else None

    def text(self, title: str, label: str, default: str) -> str | None:
        text, ok = QInputDialog.getText(self._parent, title, label, text=default)
        return text if ok else None

    def frames(self, title: str, first: int, last: int, maximum: int) -> tuple[int, int] | None:
        dialog = QDialog(self._parent)
        dialog.setWindowTitle(title)
        boxes = [QSpinBox(minimum=0, maximum=maximum, value=v) for v in (first, last)]
        form = QFormLayout(dialog)
        form.addRow("From frame", boxes[0])
        form.addRow("to frame (included)", boxes[1])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        form.addRow(buttons)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return boxes[0].value(), boxes[1].value()

    def confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self._parent, title, text)
        return answer == QMessageBox.StandardButton.Yes
