"""The viewer's ``ViewerAction``s as ``QAction``s: one each, in the menus, on its shortcut and
in the canvas' context menu, all calling the same function."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from ambientpose_desktop.gui.viewer.actions import (
    EDIT_ACTIONS,
    LOOK_ACTIONS,
    ViewerAction,
    ViewerContext,
)


def make_actions(window: QMainWindow, ctx: ViewerContext,
                 specs: Sequence[ViewerAction]) -> dict[str, QAction]:
    actions = {}
    for spec in specs:
        action = QAction(spec.text, window)
        if spec.shortcut:
            action.setShortcut(QKeySequence(spec.shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _=False, run=spec.run: run(ctx))
        window.addAction(action)  # the shortcut works with the menu bar closed
        actions[spec.name] = action
    return actions


def add_menus(window: QMainWindow, actions: dict[str, QAction]) -> None:
    edit = window.menuBar().addMenu("&Edit")
    for spec in EDIT_ACTIONS:
        if spec.name in ("rename", "hide-keypoint", "revert"):
            edit.addSeparator()
        edit.addAction(actions[spec.name])
    go = window.menuBar().addMenu("&Go")
    for spec in LOOK_ACTIONS:
        go.addAction(actions[spec.name])
        if spec.name.endswith("previous"):
            go.addSeparator()


def context_menu(window: QMainWindow, actions: dict[str, QAction], identity: int | None,
                 keypoint: int | None, label: str, rejected: bool = False) -> QMenu:
    """What a right-click on the video offers: the edits of the person there (``label``),
    marking the keypoint there not visible, promoting the rejected detection there, undo and
    redo."""
    menu = QMenu(window)
    if rejected:
        menu.addSection("Rejected detection")
        menu.addAction(actions["promote"])
    if identity is not None:
        menu.addSection(label)
        for spec in EDIT_ACTIONS:
            if spec.for_person:
                menu.addAction(actions[spec.name])
    if keypoint is not None:
        menu.addAction(actions["hide-keypoint"])
    menu.addSeparator()
    menu.addAction(actions["undo"])
    menu.addAction(actions["redo"])
    return menu
