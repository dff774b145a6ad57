"""Repairs ``SignalInstance.emit`` of PySide6 6.12.0, which eats a reference to ``True``.

In PySide6 6.12.0 ``emit`` returns ``True`` without owning a reference to it, so every emit
from Python (ours, superqt's, pyqtgraph's) takes one reference from ``True``; after a few
thousand emits (a long run's progress ticks) the interpreter aborts with "bool_dealloc:
deallocating True". Importing this module (``gui`` and the Qt runner do) detects the bug once
and wraps ``emit`` to give the reference back; with a fixed PySide6 it changes nothing.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal, SignalInstance


class _Probe(QObject):
    ping = Signal()


def emit_drops_a_reference() -> bool:
    """True when ``emit`` still takes references from ``True`` (the bug is present)."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.ping.emit()
    return sys.getrefcount(True) < before - 4


def _repair() -> None:
    if getattr(SignalInstance.emit, "_gives_reference_back", False):
        return
    if not emit_drops_a_reference():
        return
    broken = SignalInstance.emit

    def emit(self: SignalInstance, *args: object) -> bool:
        result = broken(self, *args)
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))
        return result

    emit._gives_reference_back = True  # type: ignore[attr-defined]
    SignalInstance.emit = emit


_repair()
