"""Keeps PySide6 6.12.0's reference-count bugs from aborting the interpreter.

PySide6 6.12.0 takes references it does not own from ``None``, ``True`` and ``False``:
``Signal.emit`` returns ``True`` without a reference, and a Python override that returns
``None`` to C++ (a model's ``data()`` for a role it does not serve, a delegate's ``paint``, a
``QTimer.singleShot`` callback) loses one reference to ``None`` per call. On Python 3.11 those
objects are ordinary: after enough calls (minutes of a busy table, a long run's progress)
the count reaches zero and the interpreter aborts ("bool_dealloc" / "none_dealloc"). Python
3.12 made them immortal; importing this module (``gui`` and the Qt runner do) does the same
here, by raising their counts far beyond what any session can take away.
"""

from __future__ import annotations

import ctypes
import sys

# 2**40 stolen references is a thousand years of a busy window; it stays far from overflow.
_RESERVE = 1 << 40


def make_singletons_immortal() -> None:
    """Idempotent; a no-op where the interpreter already makes them immortal (3.12+)."""
    if sys.version_info >= (3, 12):
        return
    for singleton in (None, True, False):
        count = ctypes.c_ssize_t.from_address(id(singleton))  # ob_refcnt, the first field
        if count.value < _RESERVE // 2:
            count.value += _RESERVE


make_singletons_immortal()
