"""A task's worker events as Server-Sent Events: the ones already in ``events.jsonl`` first,
then each new line as the worker appends it, until a final event (or the task ends without
one: canceled before it started, crashed, removed).

The event log on disk is the source, not the runner, so the stream works the same whichever
process (window or ``ambientpose serve``) runs the task.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC
from pathlib import Path

from ambientpose_desktop.core.events import FINAL_EVENTS, Canceled, Event, Failed, parse_event
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.store.models import Task

POLL_INTERVAL_S = 0.2
KEEPALIVE_S = 15.0
RECORD_WAIT_S = 10.0
KEEPALIVE = ": keep-alive\n\n"  # an SSE comment: keeps proxies from closing a quiet stream

TaskLookup = Callable[[], Task | None]


def format_sse(event_id: int, name: str, data: str) -> str:
    return f"id: {event_id}\nevent: {name}\ndata: {data}\n\n"


def _ending_without_event(task: Task) -> Event:
    """The final event for a task that ended without writing one (so clients always see one)."""
    if task.status == TaskStatus.CANCELED:
        return Canceled(frames=task.progress_done)
    if task.status == TaskStatus.FAILED:
        return Failed(error=task.error or "the task failed")
    return Failed(error="the task ended without a final event")


async def task_events(events_path: Path, lookup: TaskLookup, *, skip: int = 0,
                      poll_s: float = POLL_INTERVAL_S) -> AsyncIterator[str]:
    """SSE messages for the task whose log is ``events_path``; ``lookup`` re-reads its row.

    ``skip`` is the number of events the client already has (from ``Last-Event-ID``); event
    ids count events, so a reconnecting client resumes where it stopped.
    """
    quiet_since = time.monotonic()
    # A queued task (new, or retried) has no log of its own yet: what is there is an old run's.
    while (task := await asyncio.to_thread(lookup)) is not None and \
            task.status == TaskStatus.PENDING:
        if time.monotonic() - quiet_since > KEEPALIVE_S:
            yield KEEPALIVE
            quiet_since = time.monotonic()
        await asyncio.sleep(poll_s)
    offset, buffer, count = _earlier_run_size(events_path, task), b"", 0
    while True:
        if _size(events_path) < offset:  # the runner replaced an earlier run's log
            offset, buffer = 0, b""
        chunk = _read_from(events_path, offset)
        offset += len(chunk)
        *lines, buffer = (buffer + chunk).split(b"\n")
        for line in lines:
            event = parse_event(line)
            if event is None:
                continue
            count += 1
            if count > skip:
                yield format_sse(count, event.name, event.to_json())
                quiet_since = time.monotonic()
            if event.name in FINAL_EVENTS:
                await _until_recorded(lookup, poll_s)
                return
        if chunk:
            continue
        task = await asyncio.to_thread(lookup)
        if task is None:
            yield format_sse(count + 1, "deleted", json.dumps({"event": "deleted"}))
            return
        if task.status.is_final and _size(events_path) <= offset:
            ending = _ending_without_event(task)
            yield format_sse(count + 1, ending.name, ending.to_json())
            return
        if time.monotonic() - quiet_since > KEEPALIVE_S:
            yield KEEPALIVE
            quiet_since = time.monotonic()
        await asyncio.sleep(poll_s)


def _earlier_run_size(path: Path, task: Task | None) -> int:
    """Bytes of the log that an earlier run wrote (last modified before this run was claimed):
    a running task's stream starts after them."""
    if task is None or task.status != TaskStatus.RUNNING or task.started_at is None:
        return 0
    try:
        stat = path.stat()
    except FileNotFoundError:
        return 0
    started = task.started_at.replace(tzinfo=task.started_at.tzinfo or UTC).timestamp()
    return stat.st_size if stat.st_mtime < started else 0


async def _until_recorded(lookup: TaskLookup, poll_s: float) -> None:
    """The worker logs its last event just before it exits and the runner records the state:
    hold the stream until then, so a client reading the task next sees the final status."""
    deadline = time.monotonic() + RECORD_WAIT_S
    while time.monotonic() < deadline:
        task = await asyncio.to_thread(lookup)
        if task is None or task.status.is_final:
            return
        await asyncio.sleep(poll_s / 4)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _read_from(path: Path, offset: int) -> bytes:
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            return fh.read(1 << 20)
    except FileNotFoundError:
        return b""
