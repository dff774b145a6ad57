"""Work around a PySide6 6.12 bug on Python 3.11: Qt methods returning nothing (or a bool)
drop one reference to ``None`` (or ``True``/``False``) too many, so after a few thousand calls
(seconds of painting) Python aborts with "none_dealloc: deallocating None". Python 3.12+
makes these singletons immortal, which hides the bug; on 3.11 we give them enough references
never to reach zero. Remove once PySide6 is fixed or Python >= 3.12 is required.
"""

from __future__ import annotations

import ctypes
import sys

_REFERENCES = 1 << 50  # ~1e15: centuries of leaked decrefs at millions per second
_SINGLETONS = (None, True, False, NotImplemented, Ellipsis)


def keep_singletons_alive() -> None:
    if sys.implementation.name == "cpython" and sys.version_info < (3, 12):
        for obj in _SINGLETONS:
            ctypes.c_ssize_t.from_address(id(obj)).value += _REFERENCES
