"""User settings, persisted as JSON in the config folder and shared by window, server and CLI.

A plain dataclass rather than QSettings so that ``ambientpose serve`` (no Qt) reads the same
defaults the window's Settings dialog wrote.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from loguru import logger

from ambientpose_desktop.core.atomic import atomic_write_text
from ambientpose_desktop.core.params import PARAMS, TaskParams
from ambientpose_desktop.core.paths import AppPaths, app_paths

SETTINGS_FILE = "settings.json"


@dataclass
class AppSettings:
    # Parameters of new tasks (their defaults and bounds live in ``core.params``). Backend
    # options are remembered per backend below, so ``task.backend_options`` stays empty here.
    task: TaskParams = field(default_factory=TaskParams)
    # Where results are written; empty means the task folder in the data dir.
    output_dir: str = ""
    # Worker slots; 0 means one per GPU, or one on a machine without GPU.
    concurrency: int = 0
    # Another Python interpreter to run workers with (e.g. an AlphaPose environment).
    worker_python: str = ""
    # Options per backend name, passed to the worker as --opt KEY=VALUE.
    backend_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    queue_paused: bool = False
    # Where workers run: "local" (this computer), "dask" (the Dask scheduler at
    # ``dask_address``) or "slurm" (a dask-jobqueue cluster from slurm.toml in the config
    # folder; runner/slurm.py). The cluster must see this computer's files at the same paths.
    executor: str = "local"
    dask_address: str = ""
    # On a cluster, a video longer than this many frames runs in chunks of as many frames on
    # several workers, joined after (runner/dask_chunks.py); 0: every video runs whole.
    chunk_frames: int = 9000

    def task_params(self, **overrides: Any) -> TaskParams:
        """Parameters for a new task from these defaults; ``overrides`` (not ``None``) win.
        Without explicit ``backend_options``, the chosen backend's remembered ones apply."""
        data = {**self.task.to_dict(), **{k: v for k, v in overrides.items() if v is not None}}
        if overrides.get("backend_options") is None:
            data["backend_options"] = dict(self.backend_options.get(data["backend"], {}))
        return TaskParams.from_dict(data)

    @staticmethod
    def path(paths: AppPaths | None = None) -> Path:
        return (paths or app_paths()).config / SETTINGS_FILE

    @classmethod
    def load(cls, paths: AppPaths | None = None) -> AppSettings:
        """Saved settings, or defaults; a damaged file is logged and replaced by defaults."""
        path = cls.path(paths)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            logger.warning("ignoring unreadable settings file {}: {}", path, exc)
            return cls()
        if not isinstance(data, dict):
            logger.warning("ignoring settings file {}: not a JSON object", path)
            return cls()
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AppSettings:
        """Settings from their JSON; files written before task parameters were nested keep
        their flat ``backend``, ``conf``, … keys, which are read into ``task``."""
        task = dict(data.get("task") or {})
        for name in PARAMS:
            if name in data and name not in task:
                task[name] = data[name]
        task.pop("backend_options", None)
        known = {f.name for f in fields(cls)} - {"task"}
        return cls(task=TaskParams.from_dict(task),
                   **{k: v for k, v in data.items() if k in known})

    def save(self, paths: AppPaths | None = None) -> None:
        path = self.path(paths)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(asdict(self), indent=2))
