"""Where worker events go: one JSON line in ``events.jsonl`` and, for the runner or a script,
on stdout; a person at a terminal gets a progress bar instead (``listener``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from ambientpose_desktop.core.events import Event, Log, Progress


class EventSink:
    """Thread-safe writer of events; progress is throttled to ``progress_hz`` per second.

    ``stream`` gets the JSON lines (``None``: nobody); ``listener`` is called with each event.
    """

    def __init__(self, log_path: Path | None, stream: TextIO | None = None,
                 progress_hz: float = 5.0,
                 listener: Callable[[Event], None] | None = None) -> None:
        self._stream = stream
        self._listener = listener
        self._file = open(log_path, "a", encoding="utf-8") if log_path else None  # noqa: SIM115
        self._lock = threading.Lock()
        self._min_gap = 1.0 / progress_hz
        self._last_progress = 0.0

    def emit(self, event: Event) -> None:
        line = event.to_json() + "\n"
        with self._lock:
            for out in (self._stream, self._file):
                if out is None:
                    continue
                try:
                    out.write(line)
                    out.flush()
                except (OSError, ValueError):  # closed pipe (runner gone) must not kill the run
                    pass
            if self._listener is not None:
                self._listener(event)

    def progress(self, event: Progress, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_progress >= self._min_gap:
            self._last_progress = now
            self.emit(event)

    def log(self, level: str, message: str) -> None:
        self.emit(Log(level=level, message=message))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
