"""The task table: one definition used by the window, the server and the runner."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.core.tasks import TaskStatus


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_task_id() -> str:
    return uuid.uuid4().hex


class Task(SQLModel, table=True):
    """A video or image folder to process, and what happened to it."""

    __tablename__ = "tasks"

    id: str = Field(default_factory=new_task_id, primary_key=True, max_length=32)
    filename: str
    input_path: str
    status: TaskStatus = Field(default=TaskStatus.PENDING, index=True)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    # Bumped on every change: lets a window notice tasks changed by another process (e.g.
    # `ambientpose serve`) with one indexed query instead of re-reading the table.
    updated_at: datetime = Field(default_factory=utcnow, index=True)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    progress_done: int = 0
    progress_total: int = 0
    metrics: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    error: str | None = None
    worker_pid: int | None = None
    # Which process claimed it (window, server, pid@host), so a second runner never steals it.
    runner_id: str | None = None
    output_dir: str | None = None
    # Findings of the media integrity check made when the input was added (issue 14).
    media_check: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))

    @property
    def task_params(self) -> TaskParams:
        return TaskParams.from_dict(self.params)

    @property
    def progress(self) -> float:
        return self.progress_done / self.progress_total if self.progress_total else 0.0

    def to_public(self) -> TaskPublic:
        """What clients outside this process see (the server's DTO): no pids, no local paths."""
        return TaskPublic(
            id=self.id, filename=self.filename, status=self.status, params=self.params,
            created_at=self.created_at, updated_at=self.updated_at, started_at=self.started_at,
            finished_at=self.finished_at,
            progress=TaskProgress(done=self.progress_done, total=self.progress_total,
                                  fraction=round(self.progress, 4)),
            metrics=self.metrics, error=self.error, media_check=self.media_check,
        )


class TaskProgress(SQLModel):
    done: int
    total: int
    fraction: float


class TaskPublic(SQLModel):
    """The public view of a task (the seed's Task DTO), defined next to the table it mirrors."""

    id: str
    filename: str
    status: TaskStatus
    params: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    progress: TaskProgress
    metrics: dict[str, Any] | None = None
    error: str | None = None
    media_check: dict[str, Any] | None = None
