"""Persistence: the SQLite task table and the task folders on disk."""

from ambientpose_desktop.store.artefacts import ArtefactStore, UnsafePath, process_alive
from ambientpose_desktop.store.db import make_engine
from ambientpose_desktop.store.models import Task
from ambientpose_desktop.store.repository import TaskNotFound, TaskRepository

__all__ = ["ArtefactStore", "Task", "TaskNotFound", "TaskRepository", "UnsafePath",
           "make_engine", "process_alive", "open_store"]


def open_store(paths=None) -> tuple[TaskRepository, ArtefactStore]:
    """Repository and artefact store for ``paths`` (default: this user's, or AMBIENTPOSE_HOME)."""
    from ambientpose_desktop.core.paths import app_paths

    paths = (paths or app_paths()).ensure()
    return TaskRepository(make_engine(paths.database)), ArtefactStore(paths)
