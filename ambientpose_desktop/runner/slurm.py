"""SLURM through dask-jobqueue: ``--dask slurm``, and Settings → Run tasks on → SLURM.

The app (on a login node, or any machine that can run ``sbatch``) starts a Dask scheduler and
keeps ``jobs`` SLURM jobs running, one Dask worker each; tasks then run on them as on any Dask
cluster (``runner/dask_runner.py``). The config is ``slurm.toml`` in the config folder; every
key is optional and these are the defaults::

    partition = ""             # --partition; "" = the cluster's default
    account = ""               # --account
    jobs = 1                   # SLURM jobs kept running (one replaces one that ends)
    cores = 4                  # CPUs per job (--cpus-per-task)
    memory = "16GB"            # memory per job
    gpus = 0                   # GPUs per job (--gres=gpu:N): one task per GPU
    walltime = "04:00:00"      # per job; a task still running at the end runs again elsewhere
    python = ""                # the nodes' Python with ambientpose-desktop[worker]; "" = this one
    setup = []                 # shell lines before the worker, e.g. ["module load cuda/12"]
    job_directives = []        # more #SBATCH options, e.g. ["--constraint=a100"]
    local_directory = ""       # the worker's scratch folder, e.g. "$TMPDIR"
    interface = ""             # network interface the nodes reach this machine on, e.g. "ib0"
"""

from __future__ import annotations

import shutil
import signal
import sys
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.paths import AppPaths, app_paths

SLURM_CONFIG = "slurm.toml"


@dataclass(frozen=True)
class SlurmConfig:
    partition: str = ""
    account: str = ""
    jobs: int = 1
    cores: int = 4
    memory: str = "16GB"
    gpus: int = 0
    walltime: str = "04:00:00"
    python: str = ""
    setup: list[str] = field(default_factory=list)
    job_directives: list[str] = field(default_factory=list)
    local_directory: str = ""
    interface: str = ""

    @staticmethod
    def path(paths: AppPaths | None = None) -> Path:
        return (paths or app_paths()).config / SLURM_CONFIG

    @classmethod
    def load(cls, paths: AppPaths | None = None) -> SlurmConfig:
        """The config file's values over the defaults; ``InputError`` names what is wrong."""
        path = cls.path(paths)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls()
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
        try:
            return cls.from_dict(tomllib.loads(text))
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{path} is not valid TOML: {exc}") from None
        except InputError as exc:
            raise InputError(f"{path}: {exc}") from None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SlurmConfig:
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise InputError(f"unknown key {unknown[0]!r} (known: {', '.join(known)})")
        defaults = cls()
        for name, value in data.items():
            expected = type(getattr(defaults, name))
            if expected is list:
                ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
            else:
                ok = isinstance(value, expected) and not isinstance(value, bool)
            if not ok:
                raise InputError(f"{name} must be {_kind(expected)}, not {value!r}")
        config = cls(**data)
        for name, low in (("jobs", 1), ("cores", 1), ("gpus", 0)):
            if getattr(config, name) < low:
                raise InputError(f"{name} must be at least {low}, not {getattr(config, name)}")
        return config

    def cluster_options(self, paths: AppPaths | None = None) -> dict[str, Any]:
        """``SLURMCluster`` arguments: one Dask worker per job, with one thread per GPU (or
        one: each task uses every core of its job) and the GPUs as its ``GPU`` resource."""
        gres = [f"--gres=gpu:{self.gpus}"] if self.gpus else []
        return {
            "queue": self.partition or None,
            "account": self.account or None,
            "cores": max(1, self.gpus),
            "processes": 1,
            "job_cpu": self.cores,
            "memory": self.memory,
            "walltime": self.walltime,
            "job_name": "ambientpose",
            "job_extra_directives": gres + list(self.job_directives),
            "worker_extra_args": ["--resources", f"GPU={self.gpus}"] if self.gpus else [],
            "job_script_prologue": list(self.setup),
            "python": self.python or sys.executable,
            "local_directory": self.local_directory or None,
            "interface": self.interface or None,
            "log_directory": str((paths or app_paths()).logs / "slurm"),
        }


def _kind(expected: type) -> str:
    return {int: "a whole number", str: "text", list: "a list of text"}[expected]


def _slurm_cluster_class() -> Any:
    """dask-jobqueue 0.9.0 sets a SIGINT handler when it is imported (dask/dask-jobqueue#696,
    fixed upstream after that release): off the main thread (where the window and serve
    start it) that raises, on it it would replace our Ctrl-C. Import it with ``signal.signal``
    a no-op for that moment (only the main thread may set handlers, and it is not doing so)."""
    if "dask_jobqueue" not in sys.modules:
        real = signal.signal
        signal.signal = lambda signum, handler: signal.getsignal(signum)
        try:
            import dask_jobqueue  # noqa: F401
        finally:
            signal.signal = real
    from dask_jobqueue import SLURMCluster

    return SLURMCluster


def new_cluster(paths: AppPaths | None = None) -> Any:
    """A ``SLURMCluster`` from the config (its scheduler runs here; no job submitted yet)."""
    return _slurm_cluster_class()(**SlurmConfig.load(paths).cluster_options(paths))


def job_script(paths: AppPaths | None = None) -> str:
    """The batch script each job would be submitted with (Settings → Test shows it)."""
    cluster = new_cluster(paths)
    try:
        return cluster.job_script()
    finally:
        cluster.close()


def start_cluster(paths: AppPaths | None = None) -> Any:
    """Start the cluster and keep ``jobs`` SLURM jobs running; ``OSError`` if this machine
    cannot submit jobs."""
    if shutil.which("sbatch") is None:
        raise OSError("sbatch was not found: run the app where SLURM jobs can be submitted "
                      "(a login node)")
    config = SlurmConfig.load(paths)
    cluster = new_cluster(paths)
    cluster.adapt(minimum_jobs=config.jobs, maximum_jobs=config.jobs)
    return cluster
