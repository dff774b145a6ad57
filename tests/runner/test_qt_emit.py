"""Emitting from Python must not eat references to True (PySide6 6.12.0 does, see qt_emit)."""

import sys

from PySide6.QtCore import QObject, Signal

from ambientpose_desktop.runner.qt_emit import emit_drops_a_reference


class _Source(QObject):
    changed = Signal(str, int)


def test_many_emits_leave_true_alone(qtbot):
    source, received = _Source(), []
    source.changed.connect(lambda name, n: received.append(n))
    before = sys.getrefcount(True)
    for n in range(5000):
        source.changed.emit("x", n)
    assert len(received) == 5000
    assert abs(sys.getrefcount(True) - before) < 50
    assert not emit_drops_a_reference()
