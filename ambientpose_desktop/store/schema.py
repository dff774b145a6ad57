"""Schema versions of the task database: ordered upgrade steps keyed on ``PRAGMA user_version``.

``MIGRATIONS[n]`` upgrades a database at version ``n`` to ``n + 1``; version 0 is the schema of
release 0.1.0, which set no version (``tests/store/data/tasks-v0.sqlite3`` is one). A fresh
database gets the current schema from the table definition (``models.Task``) and the latest
version in one go; a test checks that an upgraded database and a fresh one end up alike.

Why not alembic, as the FastAPI template does: our database is one table in one SQLite file,
opened by several processes of one desktop install (the window, ``serve``, CLI commands), not
a server schema deployed by an operator. Alembic would add alembic and Mako to the frozen
PyInstaller app, load its revision scripts from files at run time (data files and hidden
imports for the spec to carry), keep its version in a table of its own, and still need its
"batch" copy-and-move mode for most changes, because SQLite's ``ALTER TABLE`` can only add,
rename and drop columns. Here a step is a few lines of SQL; the version lives in the file's
header, where SQLite reads and writes it inside the same transaction as the steps.

Safe with several processes: the check and the steps run in one ``BEGIN IMMEDIATE``
transaction (``db.py`` begins every transaction so). The first process to open an old
database takes the write lock and upgrades it; any other waits on the lock (busy timeout),
then reads the version again and finds nothing left to do. SQLite's DDL is transactional:
a step that fails leaves the schema and the version as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from loguru import logger
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from ambientpose_desktop.core.errors import NewerDatabase
from ambientpose_desktop.store import models  # noqa: F401 - registers the table

Step = Callable[[Connection], None]


def _add_media_check(conn: Connection) -> None:
    """1: the findings of the media integrity check, kept with the task (issue 14)."""
    conn.exec_driver_sql("ALTER TABLE tasks ADD COLUMN media_check JSON")


MIGRATIONS: tuple[Step, ...] = (_add_media_check,)
SCHEMA_VERSION = len(MIGRATIONS)


def check_version(version: int, path: Path) -> None:
    """``NewerDatabase`` if ``version`` is past what this code knows."""
    if version > SCHEMA_VERSION:
        raise NewerDatabase(path, version, SCHEMA_VERSION)


def upgrade(engine: Engine, path: Path) -> int:
    """Bring the database to ``SCHEMA_VERSION``; returns the version it was at."""
    with engine.begin() as conn:  # BEGIN IMMEDIATE: one process upgrades, the others wait
        found = int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
        check_version(found, path)  # raising rolls back: the file stays as it was
        if found == SCHEMA_VERSION:
            return found
        upgrading = _has_tasks_table(conn)
        if upgrading:
            for step in MIGRATIONS[found:]:
                step(conn)
        else:
            SQLModel.metadata.create_all(conn)
        conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
    if upgrading:
        logger.info("upgraded the task database {} from schema version {} to {}", path, found,
                    SCHEMA_VERSION)
    return found


def _has_tasks_table(conn: Connection) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tasks'"
    return conn.exec_driver_sql(query).first() is not None
