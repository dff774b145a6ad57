"""Is the task database usable? Checked when the store is opened, before anything is written.

A damaged file (random bytes, truncated, a broken schema or data page, a folder in its place)
is reported as one ``DamagedDatabase`` naming the file, instead of a traceback at start or a
server that starts healthy and answers 500 on every task. Nothing here deletes anything: a
damaged file is only ever moved aside, with its ``-wal`` and ``-shm``, when the user agrees.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime
from pathlib import Path

from loguru import logger

from ambientpose_desktop.core.errors import DamagedDatabase, DatabaseError
from ambientpose_desktop.store.schema import check_version

# PRAGMA quick_check reads every page: ~0.1 s for 100,000 tasks (73 MB) from the page cache.
# On a slow disk or a huge file it is cut off here rather than hold up the start.
QUICK_CHECK_BUDGET_S = 3.0
SIDE_FILES = ("-wal", "-shm")  # SQLite's companions of a WAL-mode database, by suffix
_DAMAGE_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})


def check_database(path: Path, budget_s: float = QUICK_CHECK_BUDGET_S) -> None:
    """Raise ``DamagedDatabase``, ``NewerDatabase`` or ``DatabaseError`` (cannot open or read)
    unless ``path`` is a sound database this code can use, or absent or empty (a new one)."""
    path = Path(path)
    if path.exists() and not path.is_file():
        raise DamagedDatabase(path, "a folder or other non-file is in its place"
                              if path.is_dir() else "it is not a regular file")
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            check_version(conn.execute("PRAGMA user_version").fetchone()[0], path)
            problems = _quick_check(conn, budget_s)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        if getattr(exc, "sqlite_errorcode", None) in _DAMAGE_CODES:
            raise DamagedDatabase(path, str(exc)) from None
        raise DatabaseError(f"cannot read the task database {path}: {exc}", path) from None
    if problems:
        raise DamagedDatabase(path, problems[0])


def _quick_check(conn: sqlite3.Connection, budget_s: float) -> list[str]:
    """What ``PRAGMA quick_check`` found (one line each; empty when sound or out of time)."""
    deadline = time.monotonic() + budget_s
    conn.set_progress_handler(lambda: time.monotonic() > deadline, 1000)
    try:
        rows = conn.execute("PRAGMA quick_check(10)").fetchall()
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode != sqlite3.SQLITE_INTERRUPT:
            raise
        logger.warning("the integrity check of the task database did not finish in {} s; "
                       "going on without it", budget_s)
        return []
    finally:
        conn.set_progress_handler(None, 0)
    lines = [line.strip() for (text,) in rows for line in str(text).splitlines()]
    return [line for line in lines if line and line != "ok" and not line.startswith("***")]


def move_aside(path: Path) -> Path:
    """Rename the database ``path`` and its side files to ``<name>.damaged-<time>[-wal|-shm]``;
    returns the new name of the main file. The pair keeps SQLite's naming, so tools that try
    to rescue rows (``sqlite3 file .recover``) still find the WAL beside its database."""
    path = Path(path)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while any(Path(f"{target}{side}").exists() for side in ("", *SIDE_FILES)):
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
        n += 1
    # The side files go first: a WAL left beside a new, empty database would be replayed in it.
    try:
        for side in SIDE_FILES:
            if Path(f"{path}{side}").exists():
                Path(f"{path}{side}").rename(f"{target}{side}")
        if path.exists():
            path.rename(target)
    except OSError as exc:
        raise DatabaseError(f"cannot move the task database {path} aside: "
                            f"{exc.strerror or exc}", path) from None
    return target
