"""Logging: loguru to a rotating file in the user log folder, plus stderr for the terminal."""

from __future__ import annotations

import sys

from loguru import logger

from ambientpose_desktop.core.paths import app_paths


def setup_logging(process: str, *, stderr_level: str | None = "WARNING",
                  debug: bool = False) -> None:
    """Replace loguru's default handler; ``process`` names the log file (app, worker, server)."""
    logger.remove()
    if stderr_level:
        logger.add(sys.stderr, level="DEBUG" if debug else stderr_level,
                   format="<level>{level}</level>: {message}", backtrace=debug, diagnose=False)
    try:
        logs = app_paths().logs
        logs.mkdir(parents=True, exist_ok=True)
        logger.add(logs / f"{process}.log", level="DEBUG", rotation="5 MB", retention=5,
                   enqueue=False, backtrace=True, diagnose=False)
    except OSError as exc:  # a read-only home must not stop the app from working
        logger.warning("cannot write log file: {}", exc)
