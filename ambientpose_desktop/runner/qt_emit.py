"""``emit(signal, *args)``: ``signal.emit(*args)`` that survives a PySide6 6.12.0 refcount bug.

In PySide6 6.12.0 ``SignalInstance.emit`` returns ``True`` without owning a reference to it, so
every emit from Python takes one reference from ``True``; after a few thousand emits (a long
run's progress ticks) the interpreter aborts with "bool_dealloc: deallocating True". Every
Python-side emit in the window and the runner goes through here. The bug is detected once at
import, so a fixed PySide6 makes this a plain emit.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance


class _Probe(QObject):
    ping = Signal()


def _emit_drops_a_reference() -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.ping.emit()
    return sys.getrefcount(True) < before - 4


_COMPENSATE = _emit_drops_a_reference()


def emit(signal: SignalInstance, *args: Any) -> None:
    result = signal.emit(*args)
    if _COMPENSATE and isinstance(result, bool):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))
