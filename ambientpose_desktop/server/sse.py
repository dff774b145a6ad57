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
from pathlib import Path

from ambientpose_desktop.core.events import FINAL_EVENTS, Canceled, Event, Failed, parse_event
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.store.models import Task

POLL_INTERVAL_S = 0.2
KEEPALIVE_S = 15.0
RECORD_WAIT_S = 10.0

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
    ids are line numbers, so a reconnecting client resumes where it stopped.
    """
    offset, buffer, line_no = 0, b"", 0
    last_sent = time.monotonic()
    # A queued task (new, or retried) has no log of its own yet: what is there is an old run's.
    while (task := await asyncio.to_thread(lookup)) is not None and \
            task.status == TaskStatus.PENDING:
        if time.monotonic() - last_sent > KEEPALIVE_S:
            yield ": keep-alive\n\n"
            last_sent = time.monotonic()
        await asyncio.sleep(poll_s)
    while True:
        chunk = _read_from(events_path, offset)
        offset += len(chunk)
        *lines, buffer = (buffer + chunk).split(b"\n")
        for line in lines:
            event = parse_event(line)
            if event is None:
                continue
            line_no += 1
            if line_no > skip:
                yield format_sse(line_no, event.name, event.to_json())
                last_sent = time.monotonic()
            if event.name in FINAL_EVENTS:
                await _until_recorded(lookup, poll_s)
                return
        if not chunk:
            task = await asyncio.to_thread(lookup)
            if task is None:
                yield format_sse(line_no + 1, "deleted", json.dumps({"event": "deleted"}))
                return
            if task.status.is_final and not _read_from(events_path, offset):
                ending = _ending_without_event(task)
                yield format_sse(line_no + 1, ending.name, ending.to_json())
                return
            if time.monotonic() - last_sent > KEEPALIVE_S:
                yield ": keep-alive\n\n"  # a comment: keeps proxies from closing the stream
                last_sent = time.monotonic()
            await asyncio.sleep(poll_s)


async def _until_recorded(lookup: TaskLookup, poll_s: float) -> None:
    """The worker logs its last event just before it exits and the runner records the state:
    hold the stream until then, so a client reading the task next sees the final status."""
    deadline = time.monotonic() + RECORD_WAIT_S
    while time.monotonic() < deadline:
        task = await asyncio.to_thread(lookup)
        if task is None or task.status.is_final:
            return
        await asyncio.sleep(poll_s / 4)


def _read_from(path: Path, offset: int) -> bytes:
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            return fh.read(1 << 20)
    except FileNotFoundError:
        return b""
