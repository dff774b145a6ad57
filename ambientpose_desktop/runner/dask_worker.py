"""What runs on a Dask worker for one task: the same worker command as on this computer
(``python -m ambientpose_desktop detect … --events jsonl``), its output sent back as Dask
events to the client that submitted it (``runner/dask_runner.py``).

The Dask worker imports this module by name (the function is pickled by reference), so its
environment must have ``ambientpose-desktop[worker]`` installed: the worker command runs with
the Dask worker's own interpreter and environment. What happens here, per attempt (Dask runs a
task again elsewhere when the worker running it dies):

- a ``start`` message (which worker and host, which GPU), then a check that this machine
  sees the input and can write the results folder: the cluster must see the submitter's files
  at the same paths (a shared filesystem); if not, the task fails naming path and worker;
- the event log of an earlier attempt is cleared, so nothing is counted twice;
- the worker process starts at a lower priority, on its own GPU when the Dask worker offers
  several (``--resources GPU=N``: one task per GPU, ``CUDA_VISIBLE_DEVICES`` per task), and
  dies with this Dask worker (``PR_SET_PDEATHSIG`` on Linux) so a killed worker leaves no
  orphan writing into the results folder;
- its stdout and stderr go back line by line (``out``/``err``), then ``exit`` with the code;
- when the Dask task is cancelled (Cancel, a client gone) or this worker closes, the process
  gets SIGTERM, and SIGKILL after the lifecycle's grace.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

POLL_S = 0.25


@dataclass(frozen=True)
class WorkerJob:
    """One task as a Dask task: what to run and where its messages go."""

    key: str  # the Dask key, carried by every message
    topic: str  # the Dask event topic the submitting client listens to
    arguments: list[str]  # ``detect …`` (runner.command.detect_arguments)
    input: str
    output: str
    gpu: bool  # wants a GPU (its device is not cpu)
    grace_s: float  # SIGTERM → SIGKILL
    fresh: bool = True  # clear the results folder's event log first (not for a join, whose
    # log already holds its chunks' progress)


class _Messages:
    """Sends this attempt's messages as Dask events (from any thread, in order per thread)."""

    def __init__(self, worker: Any, job: WorkerJob) -> None:
        self._worker = worker
        self._job = job
        self.attempt = uuid.uuid4().hex

    def __call__(self, kind: str, **fields: Any) -> None:
        self._worker.log_event(self._job.topic, {"key": self._job.key, "attempt": self.attempt,
                                                 "kind": kind, **fields})


class _GpuSlots:
    """The GPUs of this Dask worker process (its ``GPU`` resource), one per running task."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: set[int] = set()

    def take(self, total: int) -> int | None:
        with self._lock:
            free = [i for i in range(total) if i not in self._used]
            if not free:
                return None
            self._used.add(free[0])
            return free[0]

    def give(self, index: int | None) -> None:
        with self._lock:
            self._used.discard(index)


_GPUS = _GpuSlots()


def cuda_device(index: int, visible: str | None) -> str:
    """The ``CUDA_VISIBLE_DEVICES`` value of the worker's GPU number ``index``, within the
    devices this Dask worker was itself given (e.g. by SLURM), if any."""
    devices = [d.strip() for d in (visible or "").split(",") if d.strip()]
    return devices[index % len(devices)] if devices else str(index)


def files_problem(job: WorkerJob, where: str) -> str | None:
    """Why this machine cannot run ``job`` with its files (naming the path and ``where``),
    or ``None``."""
    shared = ("; the cluster's workers must see this computer's files at the same paths "
              "(a shared filesystem)")
    source = Path(job.input)
    if not source.exists() or not os.access(source, os.R_OK):
        reason = "not found" if not source.exists() else "not readable"
        return f"{where} cannot read the input {source} ({reason}){shared}"
    folder = Path(job.output)
    if not folder.is_dir():
        return f"{where} does not see the results folder {folder}{shared}"
    probe = folder / f".write-test-{uuid.uuid4().hex[:8]}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return f"{where} cannot write to the results folder {folder} ({exc.strerror or exc})"
    return None


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL when the Dask worker process dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _pump(stream: IO[str], send: Callable[..., None], kind: str) -> None:
    for line in stream:
        send(kind, text=line)


def _should_stop(worker: Any, key: str) -> bool:
    """The Dask task was cancelled (Cancel, its client gone) or this worker is closing."""
    from distributed.core import Status

    task = worker.state.tasks.get(key)
    return (task is None or task.state == "cancelled"
            or worker.status not in (Status.running, Status.paused))


def _wait(process: subprocess.Popen, worker: Any, job: WorkerJob) -> int:
    deadline = None
    while True:
        try:
            return process.wait(timeout=POLL_S)
        except subprocess.TimeoutExpired:
            pass
        if deadline is None and _should_stop(worker, job.key):
            process.terminate()
            deadline = time.monotonic() + job.grace_s
        elif deadline is not None and time.monotonic() > deadline:
            process.kill()


def run_worker(job: WorkerJob) -> int:
    """Run one task's worker command on this Dask worker; returns its exit code."""
    from distributed import get_worker

    from ambientpose_desktop.runner.command import (
        clear_last_run,
        lower_priority,
        worker_environment,
        worker_program,
    )

    worker = get_worker()
    send = _Messages(worker, job)
    gpus = int(worker.state.total_resources.get("GPU", 0)) if job.gpu else 0
    gpu = _GPUS.take(gpus) if gpus else None
    where = f"Dask worker {worker.address} on {socket.gethostname()}"
    try:
        send("start", host=socket.gethostname(), gpu=gpu)
        problem = files_problem(job, where)
        if problem is not None:
            from ambientpose_desktop.core.events import Failed

            send("out", text=Failed(error=problem).to_json() + "\n")
            send("exit", code=2)
            return 2
        if job.fresh:
            clear_last_run(Path(job.output))
        env = worker_environment()
        if gpu is not None:
            env["CUDA_VISIBLE_DEVICES"] = cuda_device(gpu, os.environ.get("CUDA_VISIBLE_DEVICES"))
        process = subprocess.Popen(
            worker_program() + job.arguments, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=env, text=True, encoding="utf-8", errors="replace",
            preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        lower_priority(process.pid)
        pumps = [threading.Thread(target=_pump, args=(stream, send, kind), daemon=True)
                 for stream, kind in ((process.stdout, "out"), (process.stderr, "err"))]
        for pump in pumps:
            pump.start()
        code = _wait(process, worker, job)
        for pump in pumps:
            pump.join()
        send("exit", code=code)
        return code
    finally:
        _GPUS.give(gpu)


def machine_cores() -> int:
    """Cores this Dask worker may use (its CPU affinity, e.g. a SLURM allocation)."""
    with contextlib.suppress(AttributeError):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
