"""The one task lifecycle: claim → results folder → launch → events → final state → next.

Every runner (the window's QProcess runner, ``serve``'s and ``run``'s asyncio runner) is this
lifecycle plus a thin adapter that starts and stops worker processes on its own event
loop. Everything a task goes through is decided here, once:

- **claim**: the oldest PENDING task, atomically (``TaskRepository.claim_next``), into the
  lowest free slot (one per GPU, or ``settings.concurrency``);
- **results folder**: the settings' Results folder (``<folder>/<task id>``) or the task folder;
- **launch**: ``runner.command`` (one recipe for argv and environment), at a lower priority;
  a launch that fails is recorded in the same words whatever the adapter;
- **events → state**: ``TaskExecution`` parses the worker's output and decides the outcome;
- **cancel**: SIGTERM, then SIGKILL after ``CANCEL_GRACE_S``;
- **a task removed while running**: its worker is stopped and what it still writes is deleted;
- **stop** (window quit, ``serve`` stop): running tasks go back in the queue, none is lost;
- **recovery** at start: orphaned workers stopped, finished runs recognised, the rest FAILED;
- **an unreadable input** (the integrity check of ``runner/media_checks.py`` says so): the
  task fails with the check's words, queued or already running;
- **recording**: a final state that cannot be written (disk full) is retried until it is, and
  the listener is told; a task never stays RUNNING while its runner lives.

The adapter surface (``Executor``) is three calls, a timer and a mailbox (``start_worker``,
``terminate``, ``kill``, ``call_later``, ``post``); the lifecycle calls them on the
thread that drives it, and the adapter calls back ``started``, ``output``, ``exited`` or
``launch_failed`` on that same thread. The lifecycle is not thread-safe: each adapter runs it
on one thread (the GUI thread; a dedicated thread for asyncio).

**Remote executors** (``RemoteExecutor``: a Dask cluster, ``runner/dask_runner.py``) run
workers elsewhere under the same lifecycle and the adapter's thread. When the settings name
one, new tasks go there (each ``Run`` remembers which executor started it, so switching in
the Settings leaves running tasks where they are), the slots are what it can run at once
(none while it cannot be reached: tasks stay PENDING), and it may call back ``lost`` when it
loses a run (its scheduler went away): that task goes back in the queue. ``close`` waits for
its runs after ``stop`` and disconnects.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from loguru import logger
from sqlalchemy.exc import DBAPIError

from ambientpose_desktop.core.events import Event
from ambientpose_desktop.core.tasks import InvalidTransition, TaskStatus
from ambientpose_desktop.runner.command import (
    default_slots,
    detect_arguments,
    gpu_count,
    worker_environment,
    worker_program,
)
from ambientpose_desktop.runner.execution import TaskExecution
from ambientpose_desktop.runner.recovery import recover_on_start
from ambientpose_desktop.store.artefacts import ArtefactStore
from ambientpose_desktop.store.models import Task
from ambientpose_desktop.store.repository import TaskNotFound, TaskRepository, default_runner_id
from ambientpose_desktop.store.settings import AppSettings

CANCEL_GRACE_S = 5.0
# Waits before each new try of a state write that failed (e.g. "database or disk is full");
# the last one repeats for as long as the runner lives.
RECORD_RETRY_S = (0.5, 2.0, 5.0, 15.0, 30.0)


@dataclass
class Launch:
    """What to start for a task: the worker's program (``python -m ambientpose_desktop``) and
    its arguments (``detect …``), its environment, the input it reads and whether it wants a
    GPU.

    ``program`` and ``env`` are this computer's; a remote executor starts ``arguments`` with
    its own machine's interpreter and environment, which this computer cannot know."""

    program: list[str]
    arguments: list[str]
    env: dict[str, str]
    input: str = ""
    gpu: bool = False

    @property
    def argv(self) -> list[str]:
        return self.program + self.arguments


@dataclass
class Run:
    """A task this runner has claimed, from launch until its final state is recorded."""

    task_id: str
    slot: int
    output: Path
    execution: TaskExecution
    launch: Launch | None = None
    executor: Executor | RemoteExecutor | None = None  # the adapter's own, or remote
    handle: Any = None  # the executor's process object
    pid: int | None = None
    stop_reason: str = ""  # "cancel" or "stop" once asked to end
    removed: bool = False
    _timers: list[Any] = field(default_factory=list, repr=False)


class Executor(Protocol):
    """What an adapter does for the lifecycle (all called on the lifecycle's thread)."""

    def start_worker(self, run: Run, launch: Launch) -> None:
        """Start the worker and set ``run.handle``; then call back ``started(run, pid)``,
        ``output(run, text)`` as stdout arrives, ``stderr(run, text)``, and ``exited(run,
        code, crashed)`` once; or ``launch_failed(run, reason)`` if it could not start."""

    def terminate(self, run: Run) -> None:
        """Ask the worker to stop (SIGTERM): it stops within a batch and reports."""

    def kill(self, run: Run) -> None:
        """Stop the worker at once (SIGKILL)."""

    def call_later(self, seconds: float, callback: Callable[[], None]) -> Any:
        """Run ``callback`` on the lifecycle's thread after ``seconds``; returns a handle
        with ``cancel()``."""

    def post(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the lifecycle's thread soon; may be called from any thread
        (how a remote executor hands back what its cluster says)."""


class RemoteExecutor(Protocol):
    """Workers started elsewhere (a cluster), under the adapter's thread and timers: the
    lifecycle calls ``start_worker``, ``terminate`` and ``kill`` as for an ``Executor``, and
    it calls back the same callbacks, plus ``lost``, through the adapter's ``post``."""

    def start_worker(self, run: Run, launch: Launch) -> None: ...

    def terminate(self, run: Run) -> None: ...

    def kill(self, run: Run) -> None: ...

    def use(self, settings: AppSettings) -> bool:
        """Whether new tasks run here under ``settings`` (connecting in the background to a
        cluster they name for the first time)."""

    def capacity(self) -> int:
        """How many workers it can run at once now; 0 while its cluster cannot be reached."""

    def close(self, timeout_s: float) -> None:
        """After ``stop``: wait up to ``timeout_s`` for its runs to end (recording them), then
        disconnect."""


class Listener:
    """What happens, for a window or a log; every method is optional to override."""

    def task_started(self, task_id: str) -> None: ...

    def task_event(self, task_id: str, event: Event) -> None: ...

    def task_stderr(self, task_id: str, line: str) -> None: ...

    def task_finished(self, task_id: str, status: TaskStatus, error: str | None) -> None: ...

    def problem(self, task_id: str, message: str) -> None:
        """Something the user should know that is not the task's own result (e.g. its state
        cannot be written to the database right now)."""

    def executor_status(self, message: str, ok: bool) -> None:
        """Where tasks run changed: e.g. a cluster cannot be reached (``ok`` false: tasks stay
        queued) or can again."""

    def idle(self) -> None: ...


class TaskLifecycle:
    """Runs PENDING tasks from the database, ``slots`` at a time, through an ``Executor``."""

    def __init__(self, repo: TaskRepository, artefacts: ArtefactStore,
                 settings: Callable[[], AppSettings], executor: Executor,
                 listener: Listener | None = None, *, runner_id: str | None = None,
                 slots: int = 0, cancel_grace_s: float = CANCEL_GRACE_S,
                 remote: RemoteExecutor | None = None) -> None:
        self.repo = repo
        self.artefacts = artefacts
        self.settings = settings  # read at each use: the window changes them while it runs
        self.executor = executor
        self.remote = remote
        self.listener = listener or Listener()
        self.runner_id = runner_id or default_runner_id()
        self.cancel_grace_s = cancel_grace_s
        self._slots = slots
        self.runs: dict[str, Run] = {}
        self._retries: dict[str, Any] = {}  # task id → timer of its next state write
        self.paused = False
        self.stopping = False
        # Claim only these tasks (a batch command runs its own, the window's stay queued).
        self.only: set[str] | None = None

    @property
    def slots(self) -> int:
        """Tasks at a time: as configured, else one per GPU here, or what the remote
        executor the settings name can run now (never more)."""
        settings = self.settings()
        configured = self._slots or settings.concurrency
        remote = self._remote_for(settings)
        if remote is None:
            return configured or default_slots()
        capacity = remote.capacity()
        return min(configured, capacity) if configured else capacity

    def _remote_for(self, settings: AppSettings) -> RemoteExecutor | None:
        if self.remote is not None and self.remote.use(settings):
            return self.remote
        return None

    # -- queue -------------------------------------------------------------------------------
    def start(self) -> list[Task]:
        """Recover what a dead runner left, then fill the slots; returns the recovered tasks."""
        self.stopping = False
        recovered = recover_on_start(self.repo, self.artefacts)
        self.fill_slots()
        return recovered

    def fill_slots(self) -> None:
        """Claim and launch tasks while slots are free (nothing while paused or stopping)."""
        while not (self.paused or self.stopping):
            slot = self._free_slot()
            if slot is None:
                return
            try:
                task = self.repo.claim_next(self.runner_id, only=self.only)
            except DBAPIError as exc:
                logger.warning("cannot claim a task now: {}", exc)
                return
            if task is None:
                if not self.runs:
                    self.listener.idle()
                return
            self._launch(task, slot)

    def _free_slot(self) -> int | None:
        used = {run.slot for run in self.runs.values()}
        return next((s for s in range(self.slots) if s not in used), None)

    def results_folder(self, task: Task) -> Path:
        """Where ``task``'s worker writes: ``<Results folder>/<id>`` or the task folder."""
        chosen = self.settings().output_dir
        if chosen:
            folder = Path(chosen).expanduser() / task.id
            folder.mkdir(parents=True, exist_ok=True)
            return folder
        return self.artefacts.task_dir(task.id, create=True)

    def launch_for(self, task: Task, output: Path, slot: int) -> Launch:
        settings = self.settings()
        params = task.task_params
        return Launch(program=worker_program(settings.worker_python),
                      arguments=detect_arguments(task.id, task.input_path, output, params),
                      env=worker_environment(slot, gpu_count()), input=task.input_path,
                      gpu=params.device != "cpu")

    def _launch(self, task: Task, slot: int) -> None:
        try:
            output = self.results_folder(task)
        except OSError as exc:
            self._fail_unlaunched(task.id, f"cannot create the results folder: "
                                           f"{exc.strerror or exc}")
            return
        run = Run(task.id, slot, output, TaskExecution(self.repo, task.id, output))
        run.execution.start_fresh()
        self.runs[task.id] = run
        run.launch = self.launch_for(task, output, slot)
        run.executor = self._remote_for(self.settings()) or self.executor
        try:
            run.executor.start_worker(run, run.launch)
        except OSError as exc:  # adapters that start synchronously
            self.launch_failed(run, str(exc.strerror or exc))

    # -- callbacks from the adapter ------------------------------------------------------------
    def started(self, run: Run, pid: int | None) -> None:
        from ambientpose_desktop.runner.command import lower_priority

        run.pid = pid
        if pid:
            lower_priority(pid)
        if run.stop_reason:  # asked to end before it was running
            run.executor.terminate(run)
        try:
            self.repo.set_worker(run.task_id, pid, str(run.output))
        except TaskNotFound:  # removed between claim and launch: stop the worker
            run.removed = True
            self._end(run, "cancel")
            return
        except DBAPIError as exc:
            self.listener.problem(run.task_id, f"cannot record the worker's pid: {exc.orig}")
        logger.info("task {} started ({})", run.task_id,
                    f"worker pid {pid}" if pid else "on a remote worker")
        self.listener.task_started(run.task_id)

    def output(self, run: Run, text: str) -> None:
        try:
            events = run.execution.feed(text)
        except DBAPIError as exc:  # a progress write: the run goes on, state follows
            self.listener.problem(run.task_id, f"cannot record progress: {exc.orig}")
            return
        for event in events:
            self.listener.task_event(run.task_id, event)

    def stderr(self, run: Run, text: str) -> None:
        for line in text.splitlines():
            if line.strip():
                self.listener.task_stderr(run.task_id, line)

    def exited(self, run: Run, code: int | None, crashed: bool) -> None:
        for timer in run._timers:
            timer.cancel()
        run._timers.clear()
        if run.stop_reason == "stop" and not run.execution.reported:
            self._settle(run, lambda: self._requeue(run))
        else:
            self._settle(run, lambda: self._record_exit(run, code, crashed))

    def launch_failed(self, run: Run, reason: str) -> None:
        program = run.launch.argv[0] if run.launch else "?"
        message = f"could not start the worker ({program}): {reason}"
        self._settle(run, lambda: self._write_failure(run.task_id, message))

    def lost(self, run: Run, reason: str) -> None:
        """A remote executor lost the run (its cluster went away): the task goes back in the
        queue to run again, or ends CANCELED if that was asked meanwhile."""
        for timer in run._timers:
            timer.cancel()
        run._timers.clear()
        if run.stop_reason == "cancel":
            self._settle(run, lambda: self._record_exit(run, None, False))
            return
        self.listener.problem(run.task_id, f"{reason}; the task goes back in the queue")
        self._settle(run, lambda: self._requeue(run))

    # -- outcomes --------------------------------------------------------------------------------
    def _record_exit(self, run: Run, code: int | None, crashed: bool) -> None:
        try:
            status = run.execution.finish(code, crashed=crashed)
        except TaskNotFound:
            self._delete_orphan_outputs(run)
            return
        except InvalidTransition as exc:  # changed by someone else meanwhile
            logger.warning("task {}: {}", run.task_id, exc)
            return
        logger.info("task {} {}", run.task_id, status.value)
        self.listener.task_finished(run.task_id, status, run.execution.error)

    def _requeue(self, run: Run) -> None:
        with contextlib.suppress(TaskNotFound, InvalidTransition):
            self.repo.retry(run.task_id)
            logger.info("task {} put back in the queue (runner stopping)", run.task_id)

    def _write_failure(self, task_id: str, message: str) -> None:
        try:
            self.repo.set_status(task_id, TaskStatus.FAILED, error=message)
        except (TaskNotFound, InvalidTransition):
            return
        self.listener.task_finished(task_id, TaskStatus.FAILED, message)

    def _fail_unlaunched(self, task_id: str, message: str) -> None:
        try:
            self._write_failure(task_id, message)
        except DBAPIError as exc:
            self._retry_later(task_id, lambda: self._write_failure(task_id, message), exc, 0)

    def _settle(self, run: Run, record: Callable[[], None]) -> None:
        """Record the run's outcome, retrying while the database refuses; the slot is free at
        once (the worker is gone), the task leaves RUNNING as soon as a write succeeds."""
        self.runs.pop(run.task_id, None)
        try:
            record()
        except DBAPIError as exc:
            self._retry_later(run.task_id, record, exc, 0)
        self.fill_slots()

    def _retry_later(self, task_id: str, record: Callable[[], None], exc: Exception,
                     attempt: int) -> None:
        wait = RECORD_RETRY_S[min(attempt, len(RECORD_RETRY_S) - 1)]
        reason = getattr(exc, "orig", exc)
        self.listener.problem(task_id, f"the result of this task cannot be saved yet "
                                       f"({reason}); trying again in {wait:g} s")

        def again() -> None:
            self._retries.pop(task_id, None)
            try:
                record()
            except DBAPIError as later:
                self._retry_later(task_id, record, later, attempt + 1)

        # Kept until it fires: a timer nobody holds may be collected before it does.
        self._retries[task_id] = self.executor.call_later(wait, again)

    def _delete_orphan_outputs(self, run: Run) -> None:
        """The task was removed while it ran: what its worker wrote belongs to nobody."""
        self.artefacts.delete(run.task_id)
        if run.output.name == run.task_id:
            shutil.rmtree(run.output, ignore_errors=True)

    # -- the input's integrity check -----------------------------------------------------------
    def refuse_input(self, task_id: str, message: str) -> None:
        """The integrity check (``runner/media_checks.py``) found nothing to process in the
        task's input: a queued task fails at once with ``message``, a running one is stopped
        and fails with it."""
        run = self.runs.get(task_id)
        if run is not None:
            run.execution.refused = message
            self._end(run, "cancel")
            return
        try:
            refused = self.repo.refuse_input(task_id, message)
        except TaskNotFound:
            return
        if refused:
            logger.info("task {} failed: {}", task_id, message)
            self.listener.task_finished(task_id, TaskStatus.FAILED, message)

    # -- cancel and stop ----------------------------------------------------------------------
    def cancel(self, task_id: str) -> bool:
        """Stop the task if this runner runs it; ``False`` if it does not."""
        run = self.runs.get(task_id)
        if run is None:
            return False
        run.execution.cancel_requested = True
        self._end(run, "cancel")
        return True

    def _end(self, run: Run, reason: str) -> None:
        """SIGTERM now, SIGKILL after the grace period if the worker is still there."""
        if run.stop_reason:
            return
        run.stop_reason = reason
        if run.handle is None:
            return  # not started yet: ``started`` will see the reason
        executor = run.executor or self.executor
        executor.terminate(run)
        run._timers.append(self.executor.call_later(self.cancel_grace_s,
                                                    lambda: executor.kill(run)))

    def stop(self) -> None:
        """Start nothing more; running workers are stopped and their tasks go back in the
        queue when they exit (unless they had already reported a result)."""
        self.stopping = True
        for run in list(self.runs.values()):
            self._end(run, "stop")

    def close(self, timeout_s: float) -> None:
        """After ``stop``: wait up to ``timeout_s`` for runs on a remote executor to end, and
        disconnect from it (the adapter waits for its own processes)."""
        if self.remote is not None:
            self.remote.close(timeout_s)
