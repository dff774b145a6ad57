"""Help → About: the version of the app, of Python and Qt, of the libraries doing the work, and
the licences of the bundled model and libraries (the frozen app carries them all)."""

from __future__ import annotations

from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ambientpose_desktop.core import about
from ambientpose_desktop.core.paths import app_paths

COLUMNS = ("Component", "Version", "Used for", "Licence")


class AboutDialog(QDialog):
    """Read-only facts about this copy of AmbientPose; "Copy details" is for bug reports."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About AmbientPose")
        layout = QVBoxLayout(self)
        layout.addLayout(self._header())
        self.components = self._component_table()
        layout.addWidget(self.components)
        model = about.BUNDLED_MODEL
        self.model_label = QLabel(
            f"Pose model: {model.name}.<br>Licence <b>{model.licence}</b> ({model.origin}): "
            f'<a href="{model.url}">licence text</a>.')
        self.model_label.setOpenExternalLinks(True)
        self.model_label.setWordWrap(True)
        layout.addWidget(self.model_label)
        data = QLabel(f"Your tasks and settings are in {app_paths().data}")
        data.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        data.setWordWrap(True)
        layout.addWidget(data)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy details")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(820, 520)

    def _header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        icon = QGuiApplication.windowIcon()  # the app icon, set once at start-up
        if not icon.isNull():
            picture = QLabel()
            picture.setPixmap(icon.pixmap(64, 64))
            row.addWidget(picture)
        self.title_label = QLabel(
            f"<h2>AmbientPose {about.application_version()}</h2>"
            "Multi-person pose estimation for lab workstations<br>"
            f"Python {about.python_version()} · Qt {qVersion()}")
        row.addWidget(self.title_label, 1)
        return row

    def _component_table(self) -> QTableWidget:
        rows = about.components()
        table = QTableWidget(len(rows), len(COLUMNS))
        table.setHorizontalHeaderLabels(COLUMNS)
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        table.setWordWrap(True)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for r, component in enumerate(rows):
            values = (component.title, component.version, component.purpose, component.licence)
            for c, value in enumerate(values):
                table.setItem(r, c, QTableWidgetItem(value))
        header = table.horizontalHeader()
        for c in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        table.resizeRowsToContents()
        return table

    def details(self) -> str:
        return "\n".join(about.report_lines(qt_runtime=qVersion()))

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details())


def show_about(parent: QWidget | None = None) -> None:
    """What the Help → About action calls."""
    AboutDialog(parent).exec()
