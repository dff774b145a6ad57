"""Real Dask clusters for the tests: a ``distributed.LocalCluster`` (worker processes) and
``dask scheduler`` / ``dask worker`` started as processes of their own on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.pipeline.worker_helpers import worker_env

DASK = str(Path(sys.executable).with_name("dask"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def local_cluster(n_workers: int = 2, threads: int = 1, processes: bool = True, **options):
    """Workers (processes by default) that import this checkout: they inherit our
    environment, and so do the worker commands they start."""
    from distributed import LocalCluster

    os.environ["PYTHONPATH"] = worker_env()["PYTHONPATH"]
    return LocalCluster(n_workers=n_workers, threads_per_worker=threads, processes=processes,
                        protocol="tcp://", host="127.0.0.1", dashboard_address=None,
                        worker_dashboard_address=None, **options)


class DaskProcesses:
    """``dask scheduler`` and ``dask worker`` processes on a port of their own."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen] = []

    def _start(self, *args: str) -> subprocess.Popen:
        process = subprocess.Popen([DASK, *args], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, env=worker_env())
        self.processes.append(process)
        return process

    def scheduler(self) -> DaskProcesses:
        self._start("scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                    "--no-dashboard")
        return self

    def worker(self, *args: str) -> DaskProcesses:
        self._start("worker", self.address, "--nthreads", "1", "--no-dashboard",
                    "--host", "127.0.0.1", *args)
        return self

    def wait_for_workers(self, n: int, timeout: float = 60.0) -> None:
        from distributed import Client

        with Client(self.address, timeout=timeout, set_as_default=False) as client:
            client.wait_for_workers(n, timeout=timeout)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def worker_processes(task_id: str) -> list[int]:
    """Pids of ``detect`` processes of ``task_id`` on this machine (a Dask worker's child)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"detect" in cmdline and task_id.encode() in cmdline:
            pids.append(int(entry.name))
    return pids
