"""How a worker process is launched for a task, from source, an installed package or the
frozen app alike, optionally with another Python interpreter (e.g. an AlphaPose environment)."""

from __future__ import annotations

import contextlib
import glob
import os
import sys
from pathlib import Path

from ambientpose_desktop.core.params import PARAMS, TaskParams
from ambientpose_desktop.core.task_folder import TaskFolder


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def worker_program(worker_python: str | None = None) -> list[str]:
    """The argv prefix that runs ``ambientpose`` subcommands in a new process.

    The frozen app is its own worker (``AmbientPose detect …``); otherwise ``python -m
    ambientpose_desktop`` with this interpreter, or with ``worker_python`` when the user set
    one (that environment must have ``ambientpose-desktop[worker]`` installed).
    """
    if worker_python:
        return [worker_python, "-m", "ambientpose_desktop"]
    if is_frozen():
        return [sys.executable]
    return [sys.executable, "-m", "ambientpose_desktop"]


def detect_arguments(task_id: str, input_path: str | Path, output_dir: str | Path,
                     params: TaskParams) -> list[str]:
    """``detect`` arguments for a task: every declared parameter as its flag (the CLI is made
    from the same declarations), the events as JSON lines on stdout for the runner to read,
    and ``--resume``: a retried or re-queued task carries on from its folder's checkpoint
    (a new task has none, and a finished run deletes its own)."""
    source = Path(input_path)
    args = ["detect", "--image-dir" if source.is_dir() else "--video", str(source),
            "--output", str(output_dir), "--task", task_id, "--events", "jsonl", "--resume"]
    for name, spec in PARAMS.items():
        value = getattr(params, name)
        if spec.kind == "bool":
            args += [spec.flag] if value else []
        elif value is not None:
            args += [spec.flag, str(value)]
    for key, value in sorted(params.backend_options.items()):
        args += ["--opt", f"{key}={value}"]
    return args


def clear_last_run(folder: Path) -> None:
    """Before a worker starts: drop the event log and error of an earlier run of the task (a
    retry, or a cluster running it again after losing a worker), so they describe this run."""
    files = TaskFolder(folder)
    for path in (files.events, files.error):
        path.unlink(missing_ok=True)


def worker_environment(slot: int | None = None, gpu_count: int = 0) -> dict[str, str]:
    """Environment for a worker: unbuffered output, and its own GPU when slots share a machine."""
    env = dict(os.environ)
    if is_frozen():
        _leave_the_bundle(env)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    if slot is not None and gpu_count > 1:
        env["CUDA_VISIBLE_DEVICES"] = str(slot % gpu_count)
    return env


def _leave_the_bundle(env: dict[str, str]) -> None:
    """Undo what the frozen app's bootloader put in our environment before starting a worker.

    Its LD_LIBRARY_PATH points at the bundle's libraries, which would shadow the system ones of
    another interpreter (an AlphaPose environment); its ``_PYI_*`` variables would make the app
    itself start as a helper of this process instead of as a program of its own.
    """
    original = env.pop("LD_LIBRARY_PATH_ORIG", None)
    if original is None:
        env.pop("LD_LIBRARY_PATH", None)
    else:
        env["LD_LIBRARY_PATH"] = original
    for key in [k for k in env if k.startswith("_PYI_")]:
        del env[key]
    env["PYINSTALLER_RESET_ENVIRONMENT"] = "1"


# Workers keep every core busy; at a lower priority they leave the window (and the server)
# responsive instead of starving it, and lose almost nothing when the machine is otherwise idle.
WORKER_NICE = 10


def lower_priority(pid: int) -> None:
    """Run the just-started worker ``pid`` at ``WORKER_NICE`` (Unix; elsewhere a no-op).

    Called right after the start, while the worker's interpreter is still loading: the threads
    it creates later inherit the priority."""
    if hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, pid, WORKER_NICE)


def gpu_count() -> int:
    """NVIDIA GPUs visible to this machine, without importing a CUDA runtime (cheap at start)."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip() and d.strip() != "-1"])
    return len(glob.glob("/dev/nvidia[0-9]*"))


def default_slots() -> int:
    """One task per GPU, or one CPU slot (the model already uses every core)."""
    return max(1, gpu_count())
