"""What happens to a task while its worker runs, independent of how the process is driven.

The Qt runner (QProcess) and the asyncio runner (server) both feed worker output lines and the
exit status into a ``TaskExecution``; it parses events, writes throttled progress to the
database and decides the final state. One policy, two event loops.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from ambientpose_desktop.core.events import (
    Canceled,
    Event,
    Failed,
    Finished,
    Progress,
    Started,
    parse_event,
)
from ambientpose_desktop.core.run_outcome import finished_metrics
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.runner.command import clear_last_run
from ambientpose_desktop.store.repository import TaskNotFound, TaskRepository

CANCEL_EXIT_CODES = frozenset({130, 143, -2, -15})
PROGRESS_DB_INTERVAL_S = 1.0


@dataclass
class TaskExecution:
    repo: TaskRepository
    task_id: str
    output_dir: Path
    cancel_requested: bool = False
    total_frames: int = 0
    frames_done: int = 0
    fps: float = 0.0
    eta_s: float | None = None
    final_event: Event | None = None
    error: str | None = None  # the recorded error, once ``finish`` ran
    _last_db_write: float = field(default=0.0, repr=False)
    _buffer: str = field(default="", repr=False)

    def start_fresh(self) -> None:
        """Before launching: drop the event log and error of an earlier run of this task (a
        retry), so the log and its stream describe this run only."""
        clear_last_run(self.output_dir)

    def feed(self, chunk: str) -> list[Event]:
        """Text from the worker's stdout (any chunking) → the events it completes."""
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split("\n")
        events = []
        for line in lines:
            event = parse_event(line) if line.strip() else None
            if event is not None:
                self.apply(event)
                events.append(event)
        return events

    def apply(self, event: Event) -> None:
        if isinstance(event, Started):
            self.total_frames = event.total_frames
            self.frames_done = event.resumed_at  # a resumed run starts part-way
            self._write_progress(force=True)
        elif isinstance(event, Progress):
            self.frames_done, self.total_frames = event.frame, event.total_frames
            self.fps, self.eta_s = event.fps, event.eta_s
            self._write_progress()
        elif isinstance(event, Finished | Failed | Canceled):
            self.final_event = event
            if isinstance(event, Finished):
                self.frames_done = event.frames

    def _write_progress(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_db_write >= PROGRESS_DB_INTERVAL_S:
            self._last_db_write = now
            # A task removed while running: its worker is being stopped, nothing to record.
            with contextlib.suppress(TaskNotFound):
                self.repo.set_progress(self.task_id, self.frames_done, self.total_frames,
                                       {"fps": self.fps, "eta_s": self.eta_s})

    @property
    def reported(self) -> bool:
        """The worker said how its run ended (finished or failed), whatever happens next."""
        return isinstance(self.final_event, Finished | Failed)

    def finish(self, exit_code: int | None, crashed: bool = False) -> TaskStatus:
        """Record the final state from the exit status and the last event; returns it. Safe
        to call again after a failed database write."""
        if self._buffer.strip():
            self.feed("\n")
        status, self.error = self._outcome(exit_code, crashed)
        metrics = self._metrics()
        if status == TaskStatus.SUCCESS:
            total = self.total_frames or self.frames_done
            self.repo.set_progress(self.task_id, self.frames_done, total)
        self.repo.set_status(self.task_id, status, error=self.error, metrics=metrics)
        return status

    def _outcome(self, exit_code: int | None, crashed: bool) -> tuple[TaskStatus, str | None]:
        final = self.final_event
        if self.cancel_requested or isinstance(final, Canceled) or exit_code in CANCEL_EXIT_CODES:
            return TaskStatus.CANCELED, None
        if exit_code == 0 and isinstance(final, Finished):
            return TaskStatus.SUCCESS, None
        if isinstance(final, Failed):
            return TaskStatus.FAILED, final.error
        how = "crashed" if crashed else f"exited with code {exit_code}"
        return TaskStatus.FAILED, (
            f"the worker {how} without reporting a result (after {self.frames_done} frames); "
            f"see events.jsonl and the worker log")

    def _metrics(self) -> dict:
        metrics: dict = {"frames": self.frames_done, "fps": self.fps}
        if isinstance(self.final_event, Finished):
            metrics.update(finished_metrics(self.output_dir, self.final_event))
        return metrics
