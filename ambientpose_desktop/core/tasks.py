"""Task states and the transitions between them, shared by store, runner, GUI and server."""

from __future__ import annotations

from enum import StrEnum


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
# a re-queue of an interrupted task; PENDING -> FAILED is an input the integrity check found
# unreadable before the task ran.
ALLOWED_TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.PENDING: frozenset({TaskStatus.RUNNING, TaskStatus.CANCELED, TaskStatus.FAILED}),
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
