"""The runner of ``ambientpose serve``: the task lifecycle (``runner/lifecycle.py``) with worker
processes driven by asyncio.

The lifecycle is not thread-safe and its database writes must not stall the server's event
loop, so it runs on one thread of its own; this adapter starts and stops processes on the
loop and hands everything they say to that thread, in order. When the settings send tasks to a
Dask cluster (``serve --dask``, ``run --dask``), ``runner/dask_runner.py`` hands what the
cluster says to the same thread (``post``). ``ambientpose run`` drives it too.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import signal
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from loguru import logger

from ambientpose_desktop.core.media_check import MediaCheck
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.runner.dask_runner import DaskExecutor
from ambientpose_desktop.runner.lifecycle import Launch, Listener, Run, TaskLifecycle
from ambientpose_desktop.runner.media_checks import MediaChecks
from ambientpose_desktop.store.artefacts import ArtefactStore
from ambientpose_desktop.store.repository import TaskRepository
from ambientpose_desktop.store.settings import AppSettings

POLL_INTERVAL_S = 2.0
# After the lifecycle's own SIGTERM → SIGKILL grace, how long stopping waits for the exits.
STOP_WAIT_S = 5.0


class LogListener(Listener):
    """Nobody watches ``serve``'s runner but its log."""

    def task_finished(self, task_id: str, status: TaskStatus, error: str | None) -> None:
        if status == TaskStatus.FAILED:
            logger.info("task {} failed: {}", task_id, error)

    def problem(self, task_id: str, message: str) -> None:
        logger.warning("task {}: {}", task_id, message)


class AsyncTaskRunner:
    """Claims PENDING tasks and runs up to ``slots`` workers at once for an asyncio server.

    ``start()`` and ``stop()`` run on the loop; ``wake()`` and ``cancel()`` may be called from
    any thread. Tasks still running at ``stop()`` are put back in the queue, not lost.
    """

    def __init__(self, repo: TaskRepository, artefacts: ArtefactStore, *,
                 settings: Callable[[], AppSettings] = AppSettings, slots: int = 0,
                 runner_id: str | None = None, poll_interval_s: float = POLL_INTERVAL_S,
                 listener: Listener | None = None) -> None:
        self.repo = repo
        self.artefacts = artefacts
        self.poll_interval_s = poll_interval_s
        self.lifecycle = TaskLifecycle(repo, artefacts, settings, self,
                                       listener or LogListener(), runner_id=runner_id,
                                       slots=slots, remote=DaskExecutor(self))
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="lifecycle")
        self.checks = MediaChecks(repo, artefacts, on_finished=self._checked)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._poller: asyncio.Task | None = None
        self._workers: set[asyncio.Task] = set()

    # -- life cycle (on the loop) ------------------------------------------------------------
    async def _do(self, fn: Callable[..., Any], *args: Any) -> Any:
        assert self._loop is not None
        return await self._loop.run_in_executor(self._thread, fn, *args)

    def _submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn`` on the lifecycle's thread (from any thread); errors go to the log."""
        def safe() -> None:
            try:
                fn(*args)
            except Exception:
                logger.exception("runner: {} failed", getattr(fn, "__name__", fn))

        with contextlib.suppress(RuntimeError):  # shut down: nothing more to do
            self._thread.submit(safe)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        recovered = await self._do(self.lifecycle.start)
        for task in recovered:
            logger.warning("task {} was left running by a runner that stopped: now {}",
                           task.id, task.status.value)
        self._poller = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        """Stop claiming, stop running workers and put their tasks back in the queue."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        await self._loop.run_in_executor(None, self.checks.close)
        await self._do(self.lifecycle.stop)
        wait_s = self.lifecycle.cancel_grace_s + STOP_WAIT_S
        if self._workers:
            await asyncio.wait(list(self._workers), timeout=wait_s)
        await self._do(self.lifecycle.close, wait_s)  # and those on a cluster
        await self._do(lambda: None)  # everything the workers said has been recorded
        self._thread.shutdown(wait=True)

    @contextlib.asynccontextmanager
    async def running(self, _app: object = None) -> AsyncIterator[None]:
        """``start`` … ``stop`` around a block; usable as a FastAPI lifespan."""
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    @property
    def runner_id(self) -> str:
        return self.lifecycle.runner_id

    def running_ids(self) -> list[str]:
        return list(self.lifecycle.runs)

    async def _poll(self) -> None:
        """Tasks added by other processes (CLI, a window) are noticed within seconds."""
        while True:
            await asyncio.sleep(self.poll_interval_s)
            self._submit(self.lifecycle.fill_slots)

    # -- TaskRunner (any thread) -------------------------------------------------------------
    def wake(self) -> None:
        if self._loop is not None:
            self._submit(self.lifecycle.fill_slots)

    def cancel(self, task_id: str) -> bool:
        mine = task_id in self.lifecycle.runs
        if mine:
            self._submit(self.lifecycle.cancel, task_id)
        return mine

    def check_input(self, task_id: str, input_path: str) -> None:
        self.checks.submit(task_id, input_path)

    def _checked(self, task_id: str, check: MediaCheck) -> None:
        """On the checks' thread: an unreadable input fails its task, on the lifecycle's."""
        if check.unreadable:
            self._submit(self.lifecycle.refuse_input, task_id, check.message)

    # -- Executor (called on the lifecycle's thread) -----------------------------------------
    def start_worker(self, run: Run, launch: Launch) -> None:
        assert self._loop is not None
        run.handle = _Handle()
        self._loop.call_soon_threadsafe(self._spawn, run, launch)

    def terminate(self, run: Run) -> None:
        self._signal(run, signal.SIGTERM)

    def kill(self, run: Run) -> None:
        self._signal(run, signal.SIGKILL)

    def call_later(self, seconds: float, callback: Callable[[], None]) -> threading.Timer:
        timer = threading.Timer(seconds, self._submit, (callback,))
        timer.daemon = True
        timer.start()
        return timer

    def post(self, callback: Callable[[], None]) -> None:
        self._submit(callback)

    # -- the processes (on the loop) ---------------------------------------------------------
    def _signal(self, run: Run, signum: int) -> None:
        def send() -> None:
            process = run.handle.process
            if process is not None and process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signum)

        assert self._loop is not None
        self._loop.call_soon_threadsafe(send)

    def _spawn(self, run: Run, launch: Launch) -> None:
        worker = asyncio.ensure_future(self._drive(run, launch))
        self._workers.add(worker)
        worker.add_done_callback(self._workers.discard)

    async def _drive(self, run: Run, launch: Launch) -> None:
        try:
            process = await asyncio.create_subprocess_exec(
                *launch.argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=launch.env)
        except OSError as exc:
            self._submit(self.lifecycle.launch_failed, run, str(exc.strerror or exc))
            return
        run.handle.process = process
        self._submit(self.lifecycle.started, run, process.pid)
        await asyncio.gather(self._pump(process.stdout, lambda t: self.lifecycle.output(run, t)),
                             self._pump(process.stderr, lambda t: self.lifecycle.stderr(run, t)))
        code = await process.wait()
        self._submit(self.lifecycle.exited, run, code, code < 0)

    async def _pump(self, stream: asyncio.StreamReader | None,
                    deliver: Callable[[str], None]) -> None:
        """Hand a pipe's text to the lifecycle as it comes (a full pipe would block the
        worker)."""
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        if stream is None:
            return
        while chunk := await stream.read(65536):
            text = decoder.decode(chunk)
            if text:
                self._submit(deliver, text)


class _Handle:
    """The worker's asyncio process, once it exists."""

    process: asyncio.subprocess.Process | None = None
