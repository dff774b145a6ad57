"""A progress bar for people at a terminal, fed by the worker's own events.

Programs (the runners, scripts) read the JSON event lines; a person gets frames, fps and ETA
on one line that redraws in place, then the one-line summary.
"""

from __future__ import annotations

import sys

from ambientpose_desktop.core.events import (
    Canceled,
    Event,
    Failed,
    Finished,
    Log,
    Progress,
    Started,
)


class TerminalProgress:
    """Draws a rich progress bar on stderr from ``Started`` / ``Progress`` events."""

    def __init__(self, title: str) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar

        self._bar = Bar(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TextColumn("frames  {task.fields[fps]} fps"),
                        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                        console=Console(file=sys.stderr), transient=False)
        self._task = self._bar.add_task(title, total=None, fps="-")
        self._bar.start()

    def __call__(self, event: Event) -> None:
        if isinstance(event, Started):
            self._bar.update(self._task, total=event.total_frames or None)
        elif isinstance(event, Progress):
            self._bar.update(self._task, completed=event.frame,
                             total=max(event.total_frames, event.frame) or None,
                             fps=f"{event.fps:.1f}")
        elif isinstance(event, Log) and event.level in ("WARNING", "ERROR"):
            self._bar.console.print(f"{event.level.lower()}: {event.message}")
        elif isinstance(event, Finished):
            self._bar.update(self._task, completed=event.frames, total=event.frames)
            self.close()  # before the one-line summary, so the two never interleave
        elif isinstance(event, Failed | Canceled):
            self.close()

    def close(self) -> None:
        if self._bar.live.is_started:
            self._bar.stop()


class PercentProgress:
    """``progress(done, total)`` for `export` and `filter`: a percentage redrawn in place on
    stderr at a terminal, nothing otherwise; ``close`` ends its line."""

    def __init__(self, label: str) -> None:
        self._label = label
        self._shown = -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if sys.stderr.isatty() and percent != self._shown:
            self._shown = percent
            print(f"\r{self._label}: {percent}%", end="", file=sys.stderr)

    def close(self) -> None:
        if self._shown >= 0:
            print(file=sys.stderr)


class StepProgress:
    """``progress(what, done, total)`` for `repair`: rich bars on stderr at a terminal, one
    for each step (checking, then salvaging); nothing otherwise."""

    def __init__(self) -> None:
        self._bar = None
        self._tasks: dict[str, object] = {}

    def __call__(self, what: str, done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        if self._bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as Bar

            self._bar = Bar(TextColumn("[bold]{task.description}"), BarColumn(),
                            TaskProgressColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                            console=Console(file=sys.stderr))
            self._bar.start()
        if what not in self._tasks:
            self._tasks[what] = self._bar.add_task(what, total=total or None)
        self._bar.update(self._tasks[what], completed=done, total=total or None)

    def close(self) -> None:
        if self._bar is not None and self._bar.live.is_started:
            self._bar.stop()
