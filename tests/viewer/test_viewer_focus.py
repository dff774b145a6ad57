"""The step keys work the moment the viewer opens and after a click anywhere in it.

Keys go to the window's QWindow (``QTest.keyClick(window.windowHandle(), ...)``), so Qt
delivers them to whatever widget has the focus, as it does a user's key presses; clicks are
real mouse events at widget coordinates. Nothing is focused by hand.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from tests.viewer.driving import key as press


def click(widget, pos: QPoint | None = None) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos or widget.rect().center())


def test_arrows_step_at_once(viewer):
    assert press(viewer, Qt.Key.Key_Right) == 1
    assert press(viewer, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier) == 11
    assert press(viewer, Qt.Key.Key_Left) == 10


def test_arrows_step_after_clicking_anywhere(viewer, qtbot):
    plots = viewer.plots.confidence
    people = viewer.controls.people
    places = [viewer.canvas, plots.viewport(), people.viewport(),
              viewer.timeline.spin, viewer.canvas]
    for widget in places:
        frame = viewer.state.frame
        click(widget, QPoint(widget.width() // 2, 4) if widget is plots.viewport() else None)
        frame = viewer.state.frame  # a click on a plot seeks; the keys then step from there
        assert press(viewer, Qt.Key.Key_Right) == frame + 1, widget
        assert press(viewer, Qt.Key.Key_Left) == frame, widget


def test_frame_box_keeps_up_down_and_gives_the_focus_back(viewer):
    spin = viewer.timeline.spin
    click(spin)
    assert viewer.focusWidget() is spin
    assert press(viewer, Qt.Key.Key_Up) == 1
    assert press(viewer, Qt.Key.Key_Right) == 2
    spin.lineEdit().selectAll()
    for key in (Qt.Key.Key_3, Qt.Key.Key_0):
        QTest.keyClick(viewer.windowHandle(), key)
    assert press(viewer, Qt.Key.Key_Return) == 30
    assert viewer.focusWidget() is viewer.canvas
    QTest.keyClick(viewer.windowHandle(), Qt.Key.Key_Space)
    assert viewer.playing  # Space reaches the window again, not the frame box
    viewer.toggle_play()


def test_show_viewer_opens_it_ready_for_keys(qtbot, processed_task):
    from ambientpose_desktop.gui.viewer import show_viewer

    window = show_viewer(processed_task)
    qtbot.addWidget(window)
    qtbot.waitUntil(window.isActiveWindow)
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.state.frame == 1)
