"""The task database for the commands that use it: checked when opened, moved aside when the
user asks (``--recover-db``), closed on the way out so the database file alone holds every task."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ambientpose_desktop.core.paths import AppPaths
    from ambientpose_desktop.store import ArtefactStore, TaskRepository

RECOVER_HELP = ("if the task database is damaged, move it aside (it is kept), start with an "
                "empty task list and adopt the task folders still on disk into it")


def add_recover_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--recover-db", action="store_true", help=RECOVER_HELP)


@contextmanager
def opened_store(args: argparse.Namespace, paths: AppPaths | None = None,
                 ) -> Iterator[tuple[TaskRepository, ArtefactStore]]:
    """The store, recovered first if it is damaged and ``args.recover_db`` says so; closed
    when the block ends. Without the flag a damaged database raises ``DamagedDatabase``."""
    from ambientpose_desktop.core.errors import DamagedDatabase
    from ambientpose_desktop.store import open_store, recover_store

    try:
        repo, artefacts = open_store(paths)
    except DamagedDatabase:
        if not getattr(args, "recover_db", False):
            raise
        print(recover_store(paths).message(), file=sys.stderr, flush=True)
        repo, artefacts = open_store(paths)
    try:
        yield repo, artefacts
    finally:
        repo.close()
