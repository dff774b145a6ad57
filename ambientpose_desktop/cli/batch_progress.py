"""What ``ambientpose run`` shows: a rich bar per task and one overall on stderr, and a line
per finished task on stdout (``STATUS<TAB>file<TAB>results folder<TAB>error``, for scripts).

Fed by the runner's listener (live progress of the tasks it runs, on its thread) and by the
database (the final state of every task, whoever ran it)."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ambientpose_desktop.core.events import Event, Log, Started
from ambientpose_desktop.core.events import Progress as WorkerProgress
from ambientpose_desktop.runner.lifecycle import Listener
from ambientpose_desktop.store.models import Task


class BatchProgress(Listener):
    def __init__(self) -> None:
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("{task.fields[state]}"),
                                 console=Console(file=sys.stderr))
        self.ids: list[str] = []
        self._bars: dict[str, Any] = {}
        self._reported: set[str] = set()
        self._overall = self.progress.add_task("[bold]all tasks", total=0, state="")
        self.progress.start()

    def add(self, tasks: list[Task]) -> None:
        for task in tasks:
            self.ids.append(task.id)
            self._bars[task.id] = self.progress.add_task(task.filename, total=None,
                                                         state="queued")
        self.progress.update(self._overall, total=len(self.ids))

    # -- Listener (the runner's thread) -------------------------------------------------
    def task_started(self, task_id: str) -> None:
        self._update(task_id, state="running")

    def task_event(self, task_id: str, event: Event) -> None:
        if isinstance(event, Started):
            self._update(task_id, total=event.total_frames or None)
        elif isinstance(event, WorkerProgress):
            self._update(task_id, completed=event.frame,
                         total=max(event.total_frames, event.frame) or None,
                         state=f"{event.fps:.1f} fps")
        elif isinstance(event, Log) and event.level in ("WARNING", "ERROR"):
            self.progress.console.print(f"{event.level.lower()}: {event.message}",
                                        highlight=False)

    def problem(self, task_id: str, message: str) -> None:
        self.progress.console.print(f"warning: {message}", highlight=False)

    def executor_status(self, message: str, ok: bool) -> None:
        self.progress.console.print(message if ok else f"warning: {message}", highlight=False)

    # -- the database (the main loop) ---------------------------------------------------
    def follow(self, tasks: list[Task]) -> None:
        """Finished tasks get their final state and their line, once."""
        for task in tasks:
            if not task.status.is_final or task.id in self._reported:
                continue
            self._reported.add(task.id)
            state = task.status.value.lower() + (f": {task.error}" if task.error else "")
            self._update(task.id, completed=task.progress_done,
                         total=task.progress_total or None, state=state)
            self.progress.advance(self._overall)
            print("\t".join([task.status.value, task.filename, task.output_dir or "",
                             task.error or ""]).rstrip(), flush=True)

    def _update(self, task_id: str, **fields: Any) -> None:
        bar = self._bars.get(task_id)
        if bar is not None:
            self.progress.update(bar, **fields)

    def close(self) -> None:
        self.progress.stop()
