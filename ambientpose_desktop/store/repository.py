"""TaskRepository: every read and write of task rows goes through here.

The database is the queue: ``claim_next`` moves the oldest PENDING task to RUNNING inside one
``BEGIN IMMEDIATE`` transaction, so two runners (the window and ``ambientpose serve``) can never
start the same task. Listeners are told about changes made through this repository, which is
how the window's table updates one row at a time.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Collection
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.core.tasks import TaskStatus, check_transition
from ambientpose_desktop.store.db import close_engine
from ambientpose_desktop.store.models import Task, utcnow

Listener = Callable[[str, str], None]  # (task id, "created" | "updated" | "deleted")


class TaskNotFound(KeyError):
    """No task has that id (it may have been removed)."""


def default_runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def runner_pid_alive(runner_id: str | None, is_alive: Callable[[int], bool]) -> bool:
    """True if ``runner_id`` names another live process on this machine."""
    host, _, pid = (runner_id or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    return is_alive(int(pid))


class TaskRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._listeners: list[Listener] = []
        self._closed = False

    def close(self) -> None:
        """Fold the WAL into the database file and close its connections: the last call of
        every owner (window, ``serve``, CLI command) on its way out; a second call does
        nothing."""
        if not self._closed:
            self._closed = True
            close_engine(self.engine)

    # -- notifications -------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _notify(self, task_id: str, kind: str) -> None:
        for listener in list(self._listeners):
            listener(task_id, kind)

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # -- reads ---------------------------------------------------------------------------
    def get(self, task_id: str) -> Task:
        with self._session() as session:
            task = session.get(Task, task_id)
        if task is None:
            raise TaskNotFound(task_id)
        return task

    def find(self, task_id: str) -> Task | None:
        with self._session() as session:
            return session.get(Task, task_id)

    def list(self, *, status: TaskStatus | None = None, limit: int | None = None,
             offset: int = 0, newest_first: bool = False) -> list[Task]:
        query = select(Task)
        if status is not None:
            query = query.where(Task.status == status)
        order = col(Task.created_at).desc() if newest_first else col(Task.created_at)
        query = query.order_by(order, col(Task.id)).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self._session() as session:
            return list(session.exec(query).all())

    def count(self, *, status: TaskStatus | None = None) -> int:
        query = select(func.count()).select_from(Task)
        if status is not None:
            query = query.where(Task.status == status)
        with self._session() as session:
            return int(session.exec(query).one())

    def counts(self) -> dict[TaskStatus, int]:
        query = select(Task.status, func.count()).group_by(Task.status)
        with self._session() as session:
            found = {TaskStatus(s): int(n) for s, n in session.exec(query).all()}
        return {s: found.get(s, 0) for s in TaskStatus}

    def ids(self) -> set[str]:
        """Every task id (cheap: one indexed column), to notice deletions made elsewhere."""
        with self._session() as session:
            return set(session.exec(select(Task.id)).all())

    def changed_since(self, moment: datetime) -> list[Task]:
        query = select(Task).where(Task.updated_at > moment).order_by(col(Task.updated_at))
        with self._session() as session:
            return list(session.exec(query).all())

    def find_by_input(self, input_path: str | Path) -> list[Task]:
        query = select(Task).where(Task.input_path == str(Path(input_path).resolve()))
        with self._session() as session:
            return list(session.exec(query).all())

    # -- writes --------------------------------------------------------------------------
    def create(self, input_path: str | Path, params: TaskParams | None = None, *,
               filename: str | None = None, task_id: str | None = None) -> Task:
        path = Path(input_path).resolve()
        task = Task(filename=filename or path.name, input_path=str(path),
                    params=(params or TaskParams()).to_dict())
        if task_id:
            task.id = task_id
        with self._session() as session:
            session.add(task)
            session.commit()
        self._notify(task.id, "created")
        return task

    def insert_absent(self, task: Task) -> bool:
        """Insert ``task`` as it is (any status, e.g. rebuilt from its task folder), unless a
        task with its id exists; True if inserted."""
        with self._session() as session:
            if session.get(Task, task.id) is not None:
                session.rollback()
                return False
            session.add(task)
            session.commit()
        self._notify(task.id, "created")
        return True

    def _update(self, task_id: str, change: Callable[[Task], bool | None]) -> Task:
        """Apply ``change`` to the row in one write transaction; ``False`` means no-op."""
        with self._session() as session:
            task = session.get(Task, task_id)
            if task is None:
                raise TaskNotFound(task_id)
            if change(task) is False:
                session.rollback()
                return task
            task.updated_at = utcnow()
            session.add(task)
            session.commit()
        self._notify(task_id, "updated")
        return task

    def claim_next(self, runner_id: str | None = None, *,
                   only: Collection[str] | None = None) -> Task | None:
        """Atomically move the oldest PENDING task (of ``only``, if given) to RUNNING and
        return it (or ``None``)."""
        query = select(Task).where(Task.status == TaskStatus.PENDING)
        if only is not None:
            query = query.where(col(Task.id).in_(list(only)))
        with self._session() as session:
            task = session.exec(
                query.order_by(col(Task.created_at), col(Task.id)).limit(1)).first()
            if task is None:
                session.rollback()
                return None
            task.status = TaskStatus.RUNNING
            task.started_at = task.updated_at = utcnow()
            task.finished_at = None
            task.error = None
            task.progress_done = 0
            task.runner_id = runner_id or default_runner_id()
            session.add(task)
            session.commit()
        self._notify(task.id, "updated")
        return task

    def set_worker(self, task_id: str, pid: int | None, output_dir: str | None = None) -> Task:
        def change(task: Task) -> None:
            task.worker_pid = pid
            if output_dir is not None:
                task.output_dir = output_dir

        return self._update(task_id, change)

    def set_progress(self, task_id: str, done: int, total: int,
                     metrics: dict[str, Any] | None = None) -> Task:
        def change(task: Task) -> bool | None:
            if task.status != TaskStatus.RUNNING:
                return False
            task.progress_done, task.progress_total = done, total
            if metrics:
                task.metrics = {**(task.metrics or {}), **metrics}
            return None

        return self._update(task_id, change)

    def set_status(self, task_id: str, status: TaskStatus, *, error: str | None = None,
                   metrics: dict[str, Any] | None = None) -> Task:
        """Move to ``status``, checked against the allowed transitions."""

        def change(task: Task) -> None:
            check_transition(task.status, status)
            task.status = status
            if status.is_final:
                task.finished_at = utcnow()
                task.worker_pid = None
            task.error = error
            if metrics:
                task.metrics = {**(task.metrics or {}), **metrics}

        return self._update(task_id, change)

    def retry(self, task_id: str) -> Task:
        """Put a finished task back in the queue, clearing what the last run left."""

        def change(task: Task) -> None:
            check_transition(task.status, TaskStatus.PENDING)
            task.status = TaskStatus.PENDING
            task.error = None
            task.started_at = task.finished_at = None
            task.progress_done = task.progress_total = 0
            task.worker_pid = None
            task.runner_id = None
            task.metrics = None

        return self._update(task_id, change)

    def set_media_check(self, task_id: str, findings: dict[str, Any] | None) -> Task:
        """Keep the findings of the input's integrity check with the task (JSON)."""
        def change(task: Task) -> None:
            task.media_check = findings

        return self._update(task_id, change)

    def refuse_input(self, task_id: str, error: str) -> bool:
        """A queued task whose input cannot be processed fails with ``error``, atomically (one
        that a runner claimed meanwhile is its runner's to stop); a task that already failed
        (its worker met the input first) takes the more precise ``error``. ``True`` if it
        was queued and now failed."""
        refused = False

        def change(task: Task) -> bool | None:
            nonlocal refused
            if task.status == TaskStatus.PENDING:
                check_transition(task.status, TaskStatus.FAILED)
                task.status, task.finished_at = TaskStatus.FAILED, utcnow()
                refused = True
            elif task.status != TaskStatus.FAILED:
                return False
            task.error = error
            return None

        self._update(task_id, change)
        return refused

    def update_params(self, task_id: str, params: TaskParams) -> Task:
        def change(task: Task) -> None:
            task.params = params.to_dict()

        return self._update(task_id, change)

    def delete(self, task_id: str) -> None:
        with self._session() as session:
            task = session.get(Task, task_id)
            if task is None:
                raise TaskNotFound(task_id)
            session.delete(task)
            session.commit()
        self._notify(task_id, "deleted")

    def left_running(self, is_alive: Callable[[int], bool]) -> list[Task]:
        """Tasks RUNNING in the database that nobody runs any more: their worker is gone and
        so is the runner that claimed them (a live runner may not have launched yet)."""
        return [task for task in self.list(status=TaskStatus.RUNNING)
                if not (task.worker_pid and is_alive(task.worker_pid))
                and not runner_pid_alive(task.runner_id, is_alive)]
