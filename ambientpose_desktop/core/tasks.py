"""Task states and the transitions between them, shared by store, runner, GUI and server."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class TaskStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    CANCELED = "CANCELED"

    @property
    def is_final(self) -> bool:
        return self in (TaskStatus.SUCCESS, TaskStatus.FAILED, TaskStatus.CANCELED)


# PENDING -> RUNNING is the runner's claim; final -> PENDING is a retry; RUNNING -> PENDING is
# a re-queue of an interrupted task.
ALLOWED_TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.PENDING: frozenset({TaskStatus.RUNNING, TaskStatus.CANCELED}),
    TaskStatus.RUNNING: frozenset(
        {TaskStatus.SUCCESS, TaskStatus.FAILED, TaskStatus.CANCELED, TaskStatus.PENDING}
    ),
    TaskStatus.SUCCESS: frozenset({TaskStatus.PENDING}),
    TaskStatus.FAILED: frozenset({TaskStatus.PENDING}),
    TaskStatus.CANCELED: frozenset({TaskStatus.PENDING}),
}


class InvalidTransition(ValueError):
    """A status change the task's life cycle does not allow (e.g. SUCCESS -> RUNNING)."""


def check_transition(current: TaskStatus, new: TaskStatus) -> None:
    if new not in ALLOWED_TRANSITIONS[current]:
        raise InvalidTransition(f"a {current.value} task cannot become {new.value}")


@dataclass
class TaskParams:
    """What a task asks of the worker; stored as JSON in the task row."""

    backend: str = "embedded"
    device: str = "auto"
    conf: float = 0.25
    imgsz: int = 640
    keypoint_format: str = "coco17"
    max_frames: int | None = None
    overlay_video: bool = False
    frames_jpeg: bool = False
    backend_options: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> TaskParams:
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in (data or {}).items() if k in known})
