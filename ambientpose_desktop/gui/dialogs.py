"""The few message boxes the window shows, in one place so tests can answer them."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget


def show_error(parent: QWidget | None, title: str, text: str, details: str = "") -> None:
    """A readable one-line problem, with the long story behind "Show Details…"."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok,
                      parent)
    if details:
        box.setDetailedText(details)
    box.exec()


def ask(parent: QWidget | None, title: str, text: str, details: str = "") -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, text,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    if details:
        box.setDetailedText(details)
    return box.exec() == QMessageBox.StandardButton.Yes


def choose_video_output(parent: QWidget | None, title: str, suggested: Path) -> Path | None:
    """Where to write a video (the file dialog asks before replacing one); None: canceled."""
    name, _ = QFileDialog.getSaveFileName(parent, title, str(suggested), "MP4 video (*.mp4)")
    return Path(name) if name else None


MOVE_ASIDE = "Move it aside and start with an empty task list"


def ask_move_damaged_database(parent: QWidget | None, path: str, reason: str) -> bool:
    """At start, when the task database is damaged: True to move it aside, False to quit."""
    box = QMessageBox(QMessageBox.Icon.Critical, "Task list damaged",
                      f"The task database {path} is damaged and cannot be opened.", parent=parent)
    box.setInformativeText(
        "Moving it aside keeps the file (renamed …damaged-<date>) and starts with an empty "
        "task list; the task folders still on disk are added back, finished ones with their "
        "results.")
    box.setDetailedText(f"SQLite found: {reason}")
    move = box.addButton(MOVE_ASIDE, QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(move)
    box.exec()
    return box.clickedButton() is move
