"""Persistence: the SQLite task table and the task folders on disk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ambientpose_desktop.core.paths import AppPaths
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.store.artefacts import ArtefactStore, UnsafePath, process_alive
from ambientpose_desktop.store.db import make_engine
from ambientpose_desktop.store.models import Task
from ambientpose_desktop.store.repository import TaskNotFound, TaskRepository

__all__ = ["ArtefactStore", "StoreRecovery", "Task", "TaskNotFound", "TaskRepository",
           "UnsafePath", "make_engine", "open_store", "process_alive", "recover_store"]


def open_store(paths: AppPaths | None = None) -> tuple[TaskRepository, ArtefactStore]:
    """Repository and artefact store for ``paths`` (default: this user's, or AMBIENTPOSE_HOME).

    The database is checked and upgraded first: ``DamagedDatabase`` (then ``recover_store``
    is the way on, if the user agrees), ``NewerDatabase`` or ``DatabaseError``, file untouched.
    Whoever opens the store closes it (``TaskRepository.close``) on the way out.
    """
    from ambientpose_desktop.core.paths import app_paths

    paths = (paths or app_paths()).ensure()
    return TaskRepository(make_engine(paths.database)), ArtefactStore(paths)


@dataclass(frozen=True)
class StoreRecovery:
    """What ``recover_store`` did: where the damaged file went, which tasks were adopted."""

    moved_to: Path
    adopted: list[Task]

    def message(self) -> str:
        done = sum(t.status == TaskStatus.SUCCESS for t in self.adopted)
        return (f"adopted {done} finished and {len(self.adopted) - done} unfinished task "
                "folder(s) into a new task database; the damaged one was moved aside to "
                f"{self.moved_to}")


def recover_store(paths: AppPaths | None = None) -> StoreRecovery:
    """Move the damaged database aside (never deleted) and adopt the task folders still on
    disk into a fresh one. Only when the user agreed: the window's dialog, ``--recover-db``."""
    from ambientpose_desktop.core.paths import app_paths
    from ambientpose_desktop.store.adoption import adopt_task_folders
    from ambientpose_desktop.store.integrity import move_aside

    paths = (paths or app_paths()).ensure()
    moved_to = move_aside(paths.database)
    repo = TaskRepository(make_engine(paths.database))
    try:
        adopted = adopt_task_folders(repo, paths)
    finally:
        repo.close()
    return StoreRecovery(moved_to, adopted)
