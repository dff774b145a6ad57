"""Work around a PySide6 6.12 bug on Python 3.11: each call of a Qt method returning nothing
drops one reference to ``None`` too many, so after a few thousand calls (a few seconds of
painting) Python aborts with "none_dealloc: deallocating None". Python 3.12+ makes ``None``
immortal, which hides it; on 3.11 we give ``None`` enough references never to reach zero.
"""

from __future__ import annotations

import ctypes
import sys

_REFERENCES = 1 << 50  # ~1e15: centuries of leaked decrefs at millions per second


def keep_none_alive() -> None:
    if sys.implementation.name == "cpython" and sys.version_info < (3, 12):
        ctypes.c_ssize_t.from_address(id(None)).value += _REFERENCES
