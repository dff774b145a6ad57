"""Atomic file writes: a crash never leaves a half-written file under its final name.

The temporary file is created with ``mode`` (default 0o666) and the kernel applies the user's
umask to it, as it does for any program's files: results and exports on a shared lab
workstation get the same permissions as everything else the user writes (``tempfile.mkstemp``
would make them 0600). Secrets pass ``mode=0o600``, and are never readable by others, not
even for a moment.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

_TRIES = 100


def _create_beside(final: Path, mode: int) -> Path:
    """A new, empty file next to ``final`` with a random name, created with ``mode``."""
    for _ in range(_TRIES):
        tmp = final.parent / f".{final.name}.{secrets.token_hex(4)}.part"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(f"no free temporary name beside {final}")


@contextlib.contextmanager
def atomic_path(final: Path, *, mode: int = 0o666) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; rename it into place only if the block succeeds.

    ``mode`` is the permission asked for when the file is created (the umask still applies).
    """
    final = Path(final)
    tmp = _create_beside(final, mode)
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(final: Path, text: str, *, mode: int = 0o666) -> None:
    with atomic_path(final, mode=mode) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def atomic_write_bytes(final: Path, data: bytes, *, mode: int = 0o666) -> None:
    with atomic_path(final, mode=mode) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
