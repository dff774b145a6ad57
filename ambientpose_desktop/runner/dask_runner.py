"""Tasks on a Dask cluster: the lifecycle's remote executor, for the window, ``serve`` and ``run``.

A task becomes one Dask task (``runner.dask_worker.run_worker``) that runs the same worker
command on a Dask worker; a video longer than ``chunk_frames`` becomes one per chunk of its
frames, then one for their join (``runner.dask_chunks``), each a ``_Part`` of the run. The
database stays the queue and the record: only as many tasks are claimed as the cluster can run
at once (its GPUs, else its worker threads), so the others stay PENDING where the window and
the API show them. The adapter (Qt or asyncio) keeps driving the
lifecycle on its one thread; this executor hands it everything through the adapter's ``post``.

- **Output** comes back as Dask events (``Worker.log_event`` → ``Client.subscribe_topic``, one
  topic per executor). They are pushed through the scheduler: 1.8 ms median and 8 ms worst
  from worker to client on this machine, against 3.3 ms and 26 ms for a ``distributed.Queue``,
  which would also need a thread blocked on ``get``. Progress, logs and the final state then
  take the same path as the output of a process on this computer.
- **Cancel and stop** cancel the Dask future; the worker side sees it, stops the process
  (SIGTERM, SIGKILL after the lifecycle's grace) and still reports its exit.
- **A lost Dask worker**: Dask runs the task (or the chunk) again on another (up to its
  ``allowed-failures``); the new attempt announces itself, clears the event log and starts
  from frame 0 (of its chunk), and the progress written is absolute, so nothing is counted
  twice. A chunk that is done is released at once: the scheduler would otherwise compute it
  again when the worker holding its result dies.
- **The scheduler unreachable**: no slots (tasks stay PENDING), one line through
  ``Listener.executor_status``, a new try every ``RETRY_S``; runs it had are ``lost`` and go
  back in the queue.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from loguru import logger

from ambientpose_desktop.core.chunks import ChunkRange
from ambientpose_desktop.core.events import Failed, Log
from ambientpose_desktop.core.paths import AppPaths
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.runner.dask_chunks import ChunkEvents, chunk_arguments, plan_for
from ambientpose_desktop.runner.lifecycle import Launch, Run, TaskLifecycle
from ambientpose_desktop.store.repository import TaskNotFound
from ambientpose_desktop.store.settings import AppSettings

CONNECT_TIMEOUT_S = 5.0
CHECK_S = 2.0  # how often a connected cluster's workers are counted again
RETRY_S = 5.0  # how often an unreachable cluster is tried again
EXIT_WAIT_S = 2.0  # a finished Dask task's exit message is on its way: how long to wait for it
KILL_WAIT_S = 10.0  # after the grace, how long kill() waits for the worker side to confirm


class Host(Protocol):
    """The adapter this executor works under: its lifecycle, its thread and its timers."""

    lifecycle: TaskLifecycle

    def post(self, callback: Callable[[], None]) -> None: ...

    def call_later(self, seconds: float, callback: Callable[[], None]) -> Any: ...


@dataclass(frozen=True)
class ClusterTarget:
    """Which cluster the settings name: a Dask scheduler's address, or SLURM."""

    kind: str  # "dask" or "slurm"
    address: str = ""

    @classmethod
    def from_settings(cls, settings: AppSettings) -> ClusterTarget | None:
        if settings.executor == "dask":
            return cls("dask", settings.dask_address.strip())
        if settings.executor == "slurm":
            return cls("slurm")
        return None

    def __str__(self) -> str:
        if self.kind == "slurm":
            return "the SLURM cluster (dask-jobqueue)"
        return f"the Dask scheduler at {self.address}" if self.address else \
            "the Dask scheduler (no address set)"


def executor_option(value: str) -> dict[str, str]:
    """``--dask ADDRESS`` (or ``--dask slurm``) as the settings fields it overrides."""
    if value.strip().lower() == "slurm":
        return {"executor": "slurm", "dask_address": ""}
    return {"executor": "dask", "dask_address": value.strip()}


def one_line(exc: BaseException) -> str:
    """An exception in one line a user can read (distributed's can span a page)."""
    text = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    return text or type(exc).__name__


def task_slots(workers: dict[str, dict]) -> int:
    """Tasks a cluster runs at once: one per GPU a worker offers, else one per thread."""
    return sum(int(w.get("resources", {}).get("GPU", 0)) or int(w.get("nthreads", 1))
               for w in workers.values())


@dataclass
class WorkerInfo:
    """One Dask worker as the Settings dialog lists it."""

    address: str
    host: str
    threads: int
    cores: int
    memory_bytes: int
    gpus: int

    def describe(self) -> str:
        gpus = f", {self.gpus} GPU{'s' if self.gpus != 1 else ''}" if self.gpus else ", no GPU"
        return (f"{self.address} on {self.host}: {self.threads} thread"
                f"{'s' if self.threads != 1 else ''}, {self.cores} cores, "
                f"{self.memory_bytes / 2**30:.1f} GiB{gpus}")


def _forward_distributed_logs() -> None:
    """distributed logs through the stdlib, pages of tracebacks on stderr when a scheduler
    goes away; here they go to the app's log file, and the user gets our one line."""

    class Forward(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            logger.debug("{}: {}", record.name, record.getMessage())

    log = logging.getLogger("distributed")
    if any(isinstance(h, Forward) for h in log.handlers):
        return
    for name in [n for n in logging.root.manager.loggerDict if n.startswith("distributed.")]:
        child = logging.getLogger(name)  # distributed gives some their own stderr handler
        for handler in list(child.handlers):
            child.removeHandler(handler)
        child.propagate = True
    for handler in list(log.handlers):
        log.removeHandler(handler)
    log.addHandler(Forward())
    log.propagate = False


def open_client(target: ClusterTarget, paths: AppPaths | None = None,
                timeout_s: float | None = None) -> tuple[Any, Any]:
    """A Dask client of ``target`` (and the SLURM cluster started for it, else ``None``);
    ``OSError`` says in one line why not."""
    try:
        from distributed import Client
    except ImportError:
        raise OSError("Dask is not installed here: pip install "
                      "'ambientpose-desktop[cluster]'") from None

    _forward_distributed_logs()
    cluster = None
    if target.kind == "slurm":
        from ambientpose_desktop.runner.slurm import start_cluster

        cluster = start_cluster(paths)
        address: Any = cluster
    elif not target.address:
        raise OSError("no Dask scheduler address is set (Settings → Run tasks on)")
    else:
        address = target.address
    try:
        client = Client(address, timeout=timeout_s or CONNECT_TIMEOUT_S, set_as_default=False)
        return client, cluster
    except Exception as exc:
        if cluster is not None:
            cluster.close()
        raise OSError(one_line(exc)) from None


def describe_cluster(address: str, timeout_s: float | None = None) -> list[WorkerInfo]:
    """The workers of the Dask scheduler at ``address`` (for "Test connection"; slow: run it
    off the GUI thread); ``OSError`` says in one line why they cannot be listed."""
    from ambientpose_desktop.runner.dask_worker import machine_cores

    client, _ = open_client(ClusterTarget("dask", address.strip()), timeout_s=timeout_s)
    try:
        workers = client.scheduler_info(n_workers=-1)["workers"]
        cores = client.run(machine_cores) if workers else {}
    except Exception as exc:
        raise OSError(one_line(exc)) from None
    finally:
        client.close(timeout=timeout_s or CONNECT_TIMEOUT_S)
    return [WorkerInfo(address, w.get("host", "?"), int(w.get("nthreads", 0)),
                       int(cores.get(address, 0)), int(w.get("memory_limit") or 0),
                       int(w.get("resources", {}).get("GPU", 0)))
            for address, w in sorted(workers.items())]


@dataclass
class _Part:
    """One Dask task of a run: the whole task, one chunk of its video, or their join; which
    attempt (Dask runs a task again when its worker dies) is the current one."""

    key: str
    job: Any  # runner.dask_worker.WorkerJob
    chunk: ChunkRange | None = None
    join: bool = False
    future: Any = None
    attempt: str | None = None
    code: int | None = None  # its exit code, once it said
    resources: dict[str, int] | None = None

    @property
    def running(self) -> bool:
        """Started and not yet exited: an exit message will come."""
        return self.attempt is not None and self.code is None

    def describe(self) -> str:
        return self.chunk.describe() if self.chunk is not None else \
            "the join of the chunks" if self.join else "the task"


@dataclass
class _RemoteRun:
    """A run's Dask side: its parts (one, or a video's chunks and then their join), the
    messages not yet handed to the lifecycle and, for chunks, their events made one run's."""

    connection: _Connection
    parts: dict[str, _Part] = field(default_factory=dict)  # Dask key → part
    chunks: ChunkEvents | None = None
    task: Any = None  # store.models.Task, for the join's arguments
    inbox: deque = field(default_factory=deque)
    drain_posted: bool = False
    stop_asked: bool = False
    started: bool = False
    settled: bool = False
    timers: list[Any] = field(default_factory=list)


class _Connection:
    """A client of one cluster, kept connected by a watcher thread that counts its slots."""

    def __init__(self, executor: DaskExecutor, target: ClusterTarget) -> None:
        self.executor = executor
        self.target = target
        self.client: Any = None
        self.cluster: Any = None  # the SLURM cluster this connection started
        self.capacity = 0
        self.has_gpus = False
        self.keys: set[str] = set()
        self.retired = False
        self._stop = threading.Event()
        self._reported: tuple[str, bool] | None = None
        self._thread = threading.Thread(target=self._watch, name="dask-watch", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                if self.client is None or self.client.status != "running":
                    self._drop()
                    self.client, self.cluster = open_client(self.target,
                                                            self.executor.paths)
                    self.client.subscribe_topic(self.executor.topic, self.executor.on_event)
                workers = self.client.scheduler_info(n_workers=-1)["workers"]
            except Exception as exc:  # distributed raises many kinds; all mean "not now"
                if self.client is not None and self.client.status == "running":
                    self._stop.wait(RETRY_S)  # a slow answer, not a lost scheduler: its
                    continue  # tasks run on; dropping the client would cancel them
                self._drop()
                self._report(0, False, f"cannot reach {self.target}: {one_line(exc)}; tasks "
                                       f"stay queued, trying again every {RETRY_S:g} s")
                self._stop.wait(RETRY_S)
                continue
            self.has_gpus = any(w.get("resources", {}).get("GPU") for w in workers.values())
            slots = task_slots(workers)
            self._report(slots, True, f"running tasks on {self.target}: {len(workers)} "
                                      f"worker{'s' if len(workers) != 1 else ''}, {slots} "
                                      f"task{'s' if slots != 1 else ''} at a time")
            self._stop.wait(CHECK_S)
        self._drop()

    def _report(self, capacity: int, ok: bool, message: str) -> None:
        grew = capacity > self.capacity
        self.capacity = capacity
        host = self.executor.host
        if (message, ok) != self._reported:
            self._reported = (message, ok)
            (logger.info if ok else logger.warning)(message)
            host.post(lambda: host.lifecycle.listener.executor_status(message, ok))
        if grew:
            host.post(host.lifecycle.fill_slots)

    def _drop(self) -> None:
        self.capacity = 0
        if self.client is not None and self.keys:
            # Their futures' callbacks may never come once the client is closed.
            self.executor.connection_lost(self, list(self.keys))
        client, cluster, self.client, self.cluster = self.client, self.cluster, None, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close(timeout=CONNECT_TIMEOUT_S)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()

    def close(self) -> None:
        """Stop watching and disconnect (a SLURM cluster cancels its jobs)."""
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(CONNECT_TIMEOUT_S * 2)


class DaskExecutor:
    """The lifecycle's ``RemoteExecutor`` for a Dask cluster; every method but ``on_event``
    is called on the adapter's thread."""

    def __init__(self, host: Host, paths: AppPaths | None = None) -> None:
        self.host = host
        self.paths = paths
        self.topic = f"ambientpose-{uuid.uuid4().hex}"
        self._connection: _Connection | None = None
        self._runs: dict[str, Run] = {}  # Dask key (of any of its parts) → run
        self._calls = ThreadPoolExecutor(1, thread_name_prefix="dask-calls")  # blocking ones

    # -- RemoteExecutor ------------------------------------------------------------------
    def use(self, settings: AppSettings) -> bool:
        target = ClusterTarget.from_settings(settings)
        current = self._connection
        if current is not None and current.target != target:
            current.retired = True
            self._close_if_done(current)
            self._connection = current = None
        if target is not None and current is None:
            self._connection = _Connection(self, target)
        return target is not None

    def capacity(self) -> int:
        connection = self._connection
        return connection.capacity if connection is not None else 0

    def start_worker(self, run: Run, launch: Launch) -> None:
        from ambientpose_desktop.runner.dask_worker import WorkerJob

        connection = self._connection
        assert connection is not None, "start_worker without use()"
        remote = run.handle = _RemoteRun(connection)
        if connection.client is None or not connection.capacity:
            self.host.post(lambda: self._settle(run, lambda: self.host.lifecycle.lost(
                run, f"{connection.target} cannot be reached")))
            return
        resources = {"GPU": 1} if launch.gpu and connection.has_gpus else None

        def job(key: str, arguments: list[str], output: Path, fresh: bool = True) -> WorkerJob:
            return WorkerJob(key=key, topic=self.topic, arguments=arguments,
                             input=launch.input, output=str(output), gpu=launch.gpu,
                             grace_s=self.host.lifecycle.cancel_grace_s, fresh=fresh)

        lifecycle = self.host.lifecycle
        try:
            task = lifecycle.repo.get(run.task_id)
        except TaskNotFound:  # removed since its claim: run it whole, ``started`` stops it
            task = None
        split = None if task is None else plan_for(task, lifecycle.settings().chunk_frames)
        if split is None:
            key = self._key(run)
            parts = [_Part(key, job(key, launch.arguments, run.output), resources=resources)]
        else:
            plan, total = split
            remote.task = task
            remote.chunks = ChunkEvents(run.task_id, plan, total,
                                        TaskFolder(run.output).events)
            parts = []
            for chunk in plan:
                folder = TaskFolder(run.output).chunk(chunk.index).path
                folder.mkdir(parents=True, exist_ok=True)
                key = self._key(run, f"chunk{chunk.index}")
                parts.append(_Part(key, job(key, chunk_arguments(task, run.output, chunk),
                                            folder), chunk=chunk, resources=resources))
        for part in parts:
            if not self._submit(run, part):
                return

    @staticmethod
    def _key(run: Run, what: str = "") -> str:
        return f"ambientpose-{run.task_id}-{what + '-' if what else ''}{uuid.uuid4().hex[:8]}"

    def _submit(self, run: Run, part: _Part) -> bool:
        """Hand ``part`` to the cluster; ``False`` (the run lost) when it cannot be."""
        from ambientpose_desktop.runner.dask_worker import run_worker

        remote: _RemoteRun = run.handle
        remote.parts[part.key] = part
        self._runs[part.key] = run
        remote.connection.keys.add(part.key)
        client = remote.connection.client
        try:
            part.future = client.submit(run_worker, part.job, key=part.key, pure=False,
                                        resources=part.resources)
        except Exception as exc:  # the client closed between the count and now
            reason = f"{remote.connection.target} cannot be reached ({one_line(exc)})"
            self.host.post(lambda: self._settle(run, lambda: self.host.lifecycle.lost(
                run, reason)))
            return False
        part.future.add_done_callback(
            lambda _: self.host.post(lambda: self._check(run, part)))
        return True

    def terminate(self, run: Run) -> None:
        remote: _RemoteRun = run.handle
        remote.stop_asked = True
        for part in remote.parts.values():
            if part.future is not None:
                self._calls.submit(part.future.cancel, reason="stopped by AmbientPose")

    def kill(self, run: Run) -> None:
        """The worker side escalates to SIGKILL itself after the grace; if it still has not
        confirmed a while later (its worker unreachable), stop waiting for it."""
        remote: _RemoteRun = run.handle
        remote.timers.append(self.host.call_later(KILL_WAIT_S, lambda: self._settle(
            run, lambda: self.host.lifecycle.exited(run, None, True))))

    def close(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self._runs and time.monotonic() < deadline:
            for run in self._live_runs():
                self._check(run)
            time.sleep(0.05)
        for run in self._live_runs():  # no word from them: their tasks are requeued
            self._settle(run, lambda run=run: self.host.lifecycle.exited(run, None, True))
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _live_runs(self) -> list[Run]:
        return list({id(run): run for run in self._runs.values()}.values())

    def connection_lost(self, connection: _Connection, keys: list[str]) -> None:
        """(The watcher's thread.) Its client went away with these runs: back in the queue."""
        runs = {id(run): run for key in keys if (run := self._runs.get(key)) is not None}
        for run in runs.values():
            self.host.post(lambda run=run: self._settle(run, lambda: self.host.lifecycle.lost(
                run, f"lost contact with {connection.target}")))

    # -- messages from the workers --------------------------------------------------------
    def on_event(self, event: tuple[float, dict]) -> None:
        """A worker's message (on the Dask client's thread): queue it for the adapter's."""
        message = event[1]
        run = self._runs.get(message.get("key", "")) if isinstance(message, dict) else None
        if run is None:
            return
        remote: _RemoteRun = run.handle
        remote.inbox.append(message)
        if not remote.drain_posted:
            remote.drain_posted = True
            self.host.post(lambda: self._drain(run))

    def _drain(self, run: Run) -> None:
        remote: _RemoteRun = run.handle
        remote.drain_posted = False
        while remote.inbox and not remote.settled:
            message = remote.inbox.popleft()
            part = remote.parts.get(message.get("key", ""))
            if part is not None:
                self._handle(run, remote, part, message)

    def _handle(self, run: Run, remote: _RemoteRun, part: _Part, message: dict) -> None:
        lifecycle = self.host.lifecycle
        kind = message.get("kind")
        if kind == "start":
            gpu = message.get("gpu")
            where = (f"Dask worker {message.get('worker', '?')} on {message.get('host', '?')}"
                     + (f", GPU {gpu}" if gpu is not None else ""))
            if not remote.started:
                remote.started = True
                lifecycle.started(run, None)
            if part.attempt is None:
                self._log(run, "INFO", f"running on {where}" if remote.chunks is None
                          else f"{part.describe()} running on {where}")
            elif remote.chunks is None:
                self._log(run, "WARNING", "the Dask worker running this task was lost; "
                                          f"running it again from the start on {where}")
            else:
                self._log(run, "WARNING", f"the Dask worker running {part.describe()} was "
                                          f"lost; running it again on {where}")
            if part.chunk is not None and remote.chunks is not None:
                remote.chunks.restart(part.chunk.index)
            part.attempt, part.code = message.get("attempt"), None
        elif message.get("attempt") != part.attempt:
            return  # the last words of an attempt whose worker was lost
        elif kind == "out":
            text = message.get("text", "")
            if part.chunk is not None and remote.chunks is not None:
                text = remote.chunks.feed(part.chunk.index, text)
            if text:
                lifecycle.output(run, text)
        elif kind == "err":
            lifecycle.stderr(run, message.get("text", ""))
        elif kind == "exit":
            part.code = code = message.get("code")
            self._exited(run, remote, part, code)

    def _exited(self, run: Run, remote: _RemoteRun, part: _Part, code: int | None) -> None:
        """A part's process ended with ``code``: the run's end, or (a chunk that succeeded)
        the join once every chunk has."""
        lifecycle = self.host.lifecycle
        if part.chunk is not None and code == 0 and not remote.stop_asked:
            self._release(part)
            chunks = [p for p in remote.parts.values() if p.chunk is not None]
            if all(p.code == 0 for p in chunks):
                self._start_join(run, remote, len(chunks))
            return
        if part.chunk is not None and remote.stop_asked and any(
                p.running for p in remote.parts.values()):
            return  # the others are stopping too: the last one settles the run
        if part.join and code == 0:
            self._calls.submit(shutil.rmtree, TaskFolder(run.output).chunks, True)
        self._settle(run, lambda: lifecycle.exited(run, code, code is not None and code < 0))

    def _start_join(self, run: Run, remote: _RemoteRun, chunks: int) -> None:
        from ambientpose_desktop.runner.dask_chunks import join_arguments

        job = next(iter(remote.parts.values())).job
        key = self._key(run, "join")
        part = _Part(key, replace(job, key=key, output=str(run.output), gpu=False, fresh=False,
                                  arguments=join_arguments(remote.task, run.output, chunks)),
                     join=True)
        self._submit(run, part)

    def _release(self, part: _Part) -> None:
        """A chunk that is done: its result must not be computed again if the Dask worker
        holding it dies (the scheduler recomputes what a client still holds)."""
        future, part.future = part.future, None
        if future is not None:
            self._calls.submit(future.release)

    def _log(self, run: Run, level: str, message: str) -> None:
        """A line of our own in the task's log, as if its worker had said it."""
        remote: _RemoteRun = run.handle
        line = Log(level=level, message=message).to_json() if remote.chunks is None else \
            remote.chunks.note(level, message)
        self.host.lifecycle.output(run, line + "\n")

    # -- the future's end ----------------------------------------------------------------
    def _check(self, run: Run, part: _Part | None = None, waited_s: float = 0.0) -> None:
        """Once a part's Dask task is over: settle the run if its exit message cannot come."""
        remote: _RemoteRun = run.handle
        self._drain(run)
        if part is None:
            for each in list(remote.parts.values()):
                self._check(run, each, waited_s)
            return
        future = part.future
        if remote.settled or future is None or not future.done():
            return
        lifecycle = self.host.lifecycle
        if future.status == "finished":
            if part.code is not None:
                return  # its exit was handled
            if waited_s < EXIT_WAIT_S:  # its exit message was sent first: it is on its way
                remote.timers.append(self.host.call_later(
                    0.1, lambda: self._check(run, part, waited_s + 0.1)))
                return
            self._settle(run, lambda: lifecycle.exited(run, None, True))
        elif future.status == "error":
            self._failed(run, part, future.exception())
        elif remote.stop_asked:
            if not any(p.running for p in remote.parts.values()):  # no exit message will come
                self._settle(run, lambda: lifecycle.exited(run, None, False))
        else:  # cancelled by the scheduler going away
            self._settle(run, lambda: lifecycle.lost(
                run, f"lost contact with {remote.connection.target}"))

    def _failed(self, run: Run, part: _Part, exc: BaseException) -> None:
        from distributed import KilledWorker

        remote: _RemoteRun = run.handle
        what = "this task" if remote.chunks is None else part.describe()
        if isinstance(exc, KilledWorker):
            message = (f"the Dask workers running {what} died {exc.allowed_failures + 1} "
                       "times in a row; see their logs")
        else:  # e.g. ambientpose-desktop not installed where the Dask worker runs
            message = f"the Dask worker could not run {what}: {type(exc).__name__}: " \
                      f"{one_line(exc)}"
        lifecycle = self.host.lifecycle
        lifecycle.output(run, Failed(error=message).to_json() + "\n")
        self._settle(run, lambda: lifecycle.exited(run, 1, False))

    def _settle(self, run: Run, record: Callable[[], None]) -> None:
        remote: _RemoteRun = run.handle
        if remote.settled:
            return
        remote.settled = True
        for timer in remote.timers:
            timer.cancel()
        for key, part in remote.parts.items():
            if part.code is None and part.future is not None and not part.future.done():
                # a failed chunk's others
                self._calls.submit(part.future.cancel, reason="the task ended")
            self._runs.pop(key, None)
            remote.connection.keys.discard(key)
        self._close_if_done(remote.connection)
        record()

    def _close_if_done(self, connection: _Connection) -> None:
        """A connection the settings left is closed once its last run has ended."""
        if connection.retired and not connection.keys:
            self._calls.submit(connection.close)
