"""The runner of ``ambientpose serve``: worker processes driven by asyncio (seed §2.2).

It is the asyncio twin of the window's QProcess runner: the same claim (``claim_next``), the
same command line (``runner.command``), the same policy for events and the final state
(``runner.execution.TaskExecution``). Only the event loop differs.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass

from loguru import logger

from ambientpose_desktop.core.events import Failed, Finished
from ambientpose_desktop.core.tasks import InvalidTransition, TaskStatus
from ambientpose_desktop.runner.command import (
    default_slots,
    detect_arguments,
    gpu_count,
    lower_priority,
    worker_environment,
    worker_program,
)
from ambientpose_desktop.runner.execution import TaskExecution
from ambientpose_desktop.runner.protocol import TaskRunner
from ambientpose_desktop.runner.recovery import recover_on_start
from ambientpose_desktop.store.artefacts import ArtefactStore
from ambientpose_desktop.store.models import Task
from ambientpose_desktop.store.repository import TaskNotFound, TaskRepository, default_runner_id

POLL_INTERVAL_S = 2.0
STOP_GRACE_S = 5.0
CANCEL_GRACE_S = 3.0


@dataclass
class _Running:
    process: asyncio.subprocess.Process
    execution: TaskExecution


class AsyncTaskRunner(TaskRunner):
    """Claims PENDING tasks and runs up to ``slots`` workers at once on one asyncio loop.

    ``start()`` and ``stop()`` run on that loop; ``wake()`` and ``cancel()`` may be called from
    any thread. Tasks still running at ``stop()`` are put back in the queue, not lost.
    """

    def __init__(self, repo: TaskRepository, artefacts: ArtefactStore, *, slots: int = 0,
                 worker_python: str | None = None, runner_id: str | None = None,
                 poll_interval_s: float = POLL_INTERVAL_S) -> None:
        self.repo = repo
        self.artefacts = artefacts
        self.slots = slots or default_slots()
        self.worker_python = worker_python or None
        self.runner_id = runner_id or default_runner_id()
        self.poll_interval_s = poll_interval_s
        self._running: dict[str, _Running] = {}
        self._jobs: dict[asyncio.Task, int] = {}  # one per claimed task → its slot
        self._loop: asyncio.AbstractEventLoop | None = None
        self._poller: asyncio.Task | None = None
        self._filling = False
        self._fill_again = False
        self._stopping = False

    # -- life cycle (on the loop) ------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        recovered = await asyncio.to_thread(recover_on_start, self.repo)
        for task in recovered:
            logger.warning("task {} was left running by a runner that stopped; marked failed",
                           task.id)
        self._poller = asyncio.create_task(self._poll())
        await self._fill_slots()

    async def stop(self) -> None:
        """Stop claiming, terminate running workers and put their tasks back in the queue."""
        self._stopping = True
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        for running in list(self._running.values()):
            _terminate(running.process)
        if self._jobs:
            await asyncio.wait(list(self._jobs), timeout=STOP_GRACE_S)
        # A worker stops between batches; one stuck in a long batch is killed, its task
        # re-queued all the same.
        for running in list(self._running.values()):
            _kill(running.process)
        if self._jobs:
            await asyncio.wait(list(self._jobs), timeout=STOP_GRACE_S)

    @contextlib.asynccontextmanager
    async def running(self, _app: object = None) -> AsyncIterator[None]:
        """``start`` … ``stop`` around a block; usable as a FastAPI lifespan."""
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    @property
    def running_ids(self) -> set[str]:
        return set(self._running)

    # -- TaskRunner (any thread) -------------------------------------------------------------
    def wake(self) -> None:
        loop = self._loop
        if loop is None or self._stopping:
            return
        if _on_loop(loop):
            loop.create_task(self._fill_slots())
        else:
            loop.call_soon_threadsafe(lambda: loop.create_task(self._fill_slots()))

    def cancel(self, task_id: str) -> bool:
        running = self._running.get(task_id)
        if running is None or self._loop is None:
            return False
        running.execution.cancel_requested = True
        if _on_loop(self._loop):
            self._stop_worker(running.process)
        else:
            self._loop.call_soon_threadsafe(self._stop_worker, running.process)
        return True

    def _stop_worker(self, process: asyncio.subprocess.Process) -> None:
        """SIGTERM now (the worker stops after its current batch), SIGKILL if that is slow."""
        _terminate(process)
        assert self._loop is not None
        self._loop.call_later(CANCEL_GRACE_S, _kill, process)

    # -- scheduling --------------------------------------------------------------------------
    async def _poll(self) -> None:
        """Tasks added by other processes (CLI, a second window) are noticed within seconds."""
        while True:
            await asyncio.sleep(self.poll_interval_s)
            await self._fill_slots()

    async def _fill_slots(self) -> None:
        if self._filling:
            self._fill_again = True  # a wake during a fill: look once more before stopping
            return
        self._filling = True
        try:
            while not self._stopping and len(self._jobs) < self.slots:
                self._fill_again = False
                task = await asyncio.to_thread(self.repo.claim_next, self.runner_id)
                if task is None:
                    if self._fill_again:
                        continue
                    break
                slot = min(set(range(self.slots)) - set(self._jobs.values()))
                job = asyncio.create_task(self._run(task, slot))
                self._jobs[job] = slot
                job.add_done_callback(self._job_done)
        finally:
            self._filling = False

    def _job_done(self, job: asyncio.Task) -> None:
        self._jobs.pop(job, None)
        if not job.cancelled() and job.exception() is not None:
            logger.opt(exception=job.exception()).error("runner job failed")
        if not self._stopping:
            asyncio.get_running_loop().create_task(self._fill_slots())

    async def _run(self, task: Task, slot: int) -> None:
        output = self.artefacts.task_dir(task.id, create=True)
        execution = TaskExecution(self.repo, task.id, output)
        execution.start_fresh()
        argv = worker_program(self.worker_python) + detect_arguments(
            task.id, task.input_path, output, task.task_params)
        try:
            process = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=worker_environment(slot, gpu_count()))
        except OSError as exc:
            with contextlib.suppress(TaskNotFound, InvalidTransition):
                await asyncio.to_thread(self.repo.set_status, task.id, TaskStatus.FAILED,
                                        error=f"cannot start the worker: {exc}")
            return
        self._running[task.id] = _Running(process, execution)
        lower_priority(process.pid)
        try:
            await asyncio.to_thread(self.repo.set_worker, task.id, process.pid, str(output))
        except TaskNotFound:  # removed between claim and launch
            execution.cancel_requested = True
            _terminate(process)
        logger.info("task {} started (worker pid {})", task.id, process.pid)
        stderr_tail = asyncio.create_task(_tail(process.stderr))
        await self._pump(process, execution)
        code = await process.wait()
        tail = await stderr_tail
        self._running.pop(task.id, None)
        reported = isinstance(execution.final_event, Finished | Failed)
        if self._stopping and not execution.cancel_requested and not reported:
            await self._requeue(task.id)  # interrupted by the shutdown, not by its own end
        else:
            await self._record(execution, code, tail)

    async def _pump(self, process: asyncio.subprocess.Process, execution: TaskExecution) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        assert process.stdout is not None
        while chunk := await process.stdout.read(65536):
            text = decoder.decode(chunk)
            if text:
                await asyncio.to_thread(execution.feed, text)

    async def _record(self, execution: TaskExecution, code: int, stderr: str) -> None:
        try:
            status = await asyncio.to_thread(execution.finish, code, code < 0)
        except TaskNotFound:
            # The task was removed while it ran: its outputs belong to nobody now.
            await asyncio.to_thread(self.artefacts.delete, execution.task_id)
            return
        except InvalidTransition as exc:
            logger.warning("task {}: {}", execution.task_id, exc)
            return
        logger.info("task {} {}", execution.task_id, status.value)
        if status == TaskStatus.FAILED and stderr:
            logger.debug("worker stderr of {}:\n{}", execution.task_id, stderr)

    async def _requeue(self, task_id: str) -> None:
        with contextlib.suppress(TaskNotFound, InvalidTransition):
            await asyncio.to_thread(self.repo.retry, task_id)
            logger.info("task {} put back in the queue (server stopping)", task_id)


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def _terminate(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)


def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()


async def _tail(stream: asyncio.StreamReader | None, keep: int = 8192) -> str:
    """Drain a pipe (a full pipe would block the worker), keeping its last ``keep`` bytes."""
    data = b""
    if stream is not None:
        while chunk := await stream.read(65536):
            data = (data + chunk)[-keep:]
    return data.decode("utf-8", "replace")

