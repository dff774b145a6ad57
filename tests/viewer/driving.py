"""Driving the viewer as a user does: the window shown and active (the keyboard is its own),
keys sent through its QWindow so Qt delivers them to whatever has the focus, as it does the
X server's."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from ambientpose_desktop.gui.viewer import ViewerWindow


def open_viewer(qtbot, folder) -> ViewerWindow:
    window = ViewerWindow(folder, synchronous=True)
    qtbot.addWidget(window)  # closed by qtbot at the end of the test
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


def key(window, key, modifier=Qt.KeyboardModifier.NoModifier) -> int:
    """Press ``key``; the frame shown after it."""
    QTest.keyClick(window.windowHandle(), key, modifier)
    return window.state.frame


def linked_of(window):
    """The results as tracked, read again from the task folder (the viewer shows them edited)."""
    from ambientpose_desktop.core.layers import Layer, load_layer

    return load_layer(window.task.folder, window.task.summary, Layer.LINKED)
