"""The SQLite engine: WAL mode so the window, the server and workers read while one writes.

Opening checks the file (``integrity``) and brings its schema up to date (``schema``);
closing folds the WAL back into the main file, so that a copy of ``ambientpose.sqlite3`` made
after a clean exit holds every task.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from loguru import logger
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import create_engine

from ambientpose_desktop.store.integrity import QUICK_CHECK_BUDGET_S, check_database
from ambientpose_desktop.store.schema import upgrade

CHECKPOINT_WAIT_MS = 2000  # at close, how long to wait for another process's transaction


def make_engine(path: Path, *, check_budget_s: float = QUICK_CHECK_BUDGET_S) -> Engine:
    """An engine on the database at ``path``, checked and upgraded (created if absent).

    Raises ``DamagedDatabase``, ``NewerDatabase`` or ``DatabaseError`` with the file untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    check_database(path, check_budget_s)
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": 30},
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:
        # Let us issue BEGIN IMMEDIATE ourselves (pysqlite's implicit transactions get in the way).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn) -> None:
        # Take the write lock at the start of every transaction: a claim never races another.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    try:
        upgrade(engine, path)
    except BaseException:
        engine.dispose()
        raise
    return engine


def close_engine(engine: Engine) -> None:
    """Checkpoint the WAL into the main file, then close every pooled connection.

    The last connection of all processes to close would checkpoint too, but only if it is
    closed: pooled connections of a process that just exits never are. With another process
    still using the database, the checkpoint copies what it can without waiting long; that
    process's own close finishes it.
    """
    try:
        raw = engine.raw_connection()
        try:
            cursor = raw.driver_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
            busy, _, _ = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy:
                logger.info("the task database is in use elsewhere; its WAL was not emptied")
        finally:
            raw.close()
    except (sqlite3.Error, DBAPIError) as exc:
        logger.warning("could not checkpoint the task database at close: {}", exc)
    finally:
        engine.dispose()
