"""The event stream's reading of events.jsonl, driven directly (no server): old runs, replaced
logs, endings without a final event."""

import asyncio
import os
import time
from datetime import UTC, datetime

from ambientpose_desktop.core.events import Failed, Finished, Started
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.server.sse import task_events
from ambientpose_desktop.store.models import Task


def _task(status: TaskStatus, **fields) -> Task:
    return Task(filename="v.mp4", input_path="/v.mp4", status=status, **fields)


def _line(event) -> str:
    return event.to_json() + "\n"


async def _collect(stream, limit: int = 20) -> list[str]:
    names = []
    async for message in stream:
        names += [line[7:] for line in message.splitlines() if line.startswith("event: ")]
        if len(names) >= limit:
            break
    return names


def test_a_retried_run_does_not_replay_the_old_log(tmp_path):
    log = tmp_path / "events.jsonl"
    log.write_text(_line(Started("t", 5, 5.0, "fake", "cpu")) + _line(Failed("old crash")))
    old = time.time() - 60
    os.utime(log, (old, old))
    state = {"task": _task(TaskStatus.RUNNING, started_at=datetime.now(UTC))}

    async def scenario() -> list[str]:
        stream = task_events(log, lambda: state["task"], poll_s=0.01)
        collecting = asyncio.ensure_future(_collect(stream))
        await asyncio.sleep(0.2)
        assert not collecting.done()  # the old run's "failed" did not end the stream
        log.unlink()  # as TaskExecution.start_fresh does, then the new worker writes
        log.write_text(_line(Started("t", 5, 5.0, "fake", "cpu")))
        await asyncio.sleep(0.1)
        with open(log, "a") as fh:
            fh.write(_line(Finished(5, 10, 0.5)))
        state["task"] = _task(TaskStatus.SUCCESS)
        return await asyncio.wait_for(collecting, 10)

    assert asyncio.run(scenario()) == ["started", "finished"]


def test_endings_without_a_final_event(tmp_path):
    log = tmp_path / "events.jsonl"
    canceled = _task(TaskStatus.CANCELED)
    assert asyncio.run(_collect(task_events(log, lambda: canceled, poll_s=0.01))) == ["canceled"]
    log.write_text(_line(Started("t", 5, 5.0, "fake", "cpu")) + "Segmentation fault\n")
    crashed = _task(TaskStatus.FAILED, error="the worker crashed")
    assert asyncio.run(_collect(task_events(log, lambda: crashed, poll_s=0.01))) == [
        "started", "failed"]
    gone = asyncio.run(_collect(task_events(log, lambda: None, poll_s=0.01)))
    assert gone == ["started", "deleted"]


def test_pending_task_waits_for_its_run(tmp_path):
    log = tmp_path / "events.jsonl"
    log.write_text(_line(Started("t", 5, 5.0, "fake", "cpu")) + _line(Finished(5, 10, 0.5)))
    state = {"task": _task(TaskStatus.PENDING)}

    async def scenario() -> list[str]:
        collecting = asyncio.ensure_future(
            _collect(task_events(log, lambda: state["task"], poll_s=0.01)))
        await asyncio.sleep(0.2)
        assert not collecting.done()
        state["task"] = _task(TaskStatus.CANCELED)  # canceled while queued
        log.unlink()
        return await asyncio.wait_for(collecting, 10)

    assert asyncio.run(scenario()) == ["canceled"]
