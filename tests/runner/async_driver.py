"""``serve``'s runner (the asyncio adapter) on an event loop of its own thread, driven by a
test as the window drives its own, and a listener that records what it says."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from ambientpose_desktop.core.events import Log, Progress
from ambientpose_desktop.runner.async_runner import AsyncTaskRunner
from ambientpose_desktop.runner.lifecycle import Listener
from ambientpose_desktop.store.settings import AppSettings


class AsyncDriver:
    def __init__(self, store, settings: AppSettings, listener: Listener | None = None) -> None:
        self.runner = AsyncTaskRunner(*store, settings=lambda: settings, poll_interval_s=0.2,
                                      listener=listener)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._call(self.runner.start())

    def _call(self, coroutine) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=60)

    def wait(self, qtbot, condition: Callable[[], bool]) -> None:
        qtbot.waitUntil(condition, timeout=60_000)

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._call(self.runner.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


class Recorder(Listener):
    """What the lifecycle told, from its thread."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []
        self.statuses: list[tuple[str, bool]] = []
        self.lock = threading.Lock()

    def task_event(self, task_id, event) -> None:
        with self.lock:
            self.events.append((task_id, event))

    def executor_status(self, message: str, ok: bool) -> None:
        self.statuses.append((message, ok))

    def logs(self, task_id: str) -> list[str]:
        with self.lock:
            return [e.message for t, e in self.events if t == task_id and isinstance(e, Log)]

    def frames(self, task_id: str) -> int:
        with self.lock:
            return max((e.frame for t, e in self.events
                        if t == task_id and isinstance(e, Progress)), default=0)
