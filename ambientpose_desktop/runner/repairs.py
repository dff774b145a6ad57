"""A repair as a process of its own, for the window: ``ambientpose repair … --progress``.

Salvage feeds damaged data to FFmpeg's decoders for minutes; in a separate process at the
workers' lower priority that holds neither the window's interpreter lock nor, should FFmpeg
trip over the damage, the window itself (the integrity check runs the same way,
``runner/media_checks.py``). The call blocks: the window runs it on a worker thread.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from ambientpose_desktop.core.errors import AmbientPoseError, InputError
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.runner.command import lower_priority, worker_environment, worker_program

Progress = Callable[[str, int, int], None]  # step, done, total
Stop = Callable[[], bool]
STOP_POLL_S = 0.2


def repair_isolated(source: str | Path, output: str | Path, mode: str = "auto", *,
                    progress: Progress | None = None, should_stop: Stop | None = None,
                    overwrite: bool = False):
    """``runner.actions.repair_video`` in a child process; returns its ``RepairResult``.

    ``should_stop()`` becoming true terminates the child (which removes its partial copy)
    and raises ``RepairCanceled``; the child's one-line error becomes ``InputError`` (exit 2)
    or ``AmbientPoseError``."""
    from ambientpose_desktop.pipeline.media_repair import (
        RepairCanceled,
        RepairResult,
        partial_path,
    )

    # the video after "--": a file named like an option is still a file
    argv = [*worker_program(), "repair", "-o", str(output), "--mode", mode, "--progress",
            *(["--overwrite"] if overwrite else []), "--", str(source)]
    # stderr to a file: a pipe read only at the end could fill up and stall the child
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as stderr:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=stderr, text=True, encoding="utf-8",
                                   errors="replace", env=worker_environment())
        found, stopped, code = _follow(process, progress, should_stop)
        stderr.seek(0)
        error = stderr.read().strip()
    if stopped:
        partial_path(Path(output)).unlink(missing_ok=True)  # where SIGTERM cannot clean up
        raise RepairCanceled("repair canceled")
    if code == 0 and found is not None:
        return RepairResult.from_dict(found)
    last = error.splitlines()[-1] if error else f"the repair process ended with code {code}"
    message = last.removeprefix("error: ")
    raise (InputError if code == 2 else AmbientPoseError)(message)


def _follow(process: subprocess.Popen, progress: Progress | None,
            should_stop: Stop | None) -> tuple[dict | None, bool, int]:
    """Read the child's progress lines and findings until it ends: (findings, stopped by
    ``should_stop``, exit code)."""
    lower_priority(process.pid)
    stopped = threading.Event()
    watcher = threading.Thread(target=_watch, args=(process, should_stop, stopped),
                               name="repair-stop", daemon=True)
    watcher.start()
    found = None
    assert process.stdout is not None
    for line in process.stdout:
        with contextlib.suppress(ValueError):
            data = json.loads(line)
            if isinstance(data, dict) and "step" in data and progress is not None:
                progress(data["step"], int(data["done"]), int(data["total"]))
            elif isinstance(data, dict) and "mode" in data:
                found = data
    code = process.wait()
    watcher.join()
    return found, stopped.is_set(), code


def _watch(process: subprocess.Popen, should_stop: Stop | None,
           stopped: threading.Event) -> None:
    """Terminate ``process`` once ``should_stop()`` is true; return when it has ended."""
    while process.poll() is None:
        if should_stop is not None and should_stop():
            stopped.set()
            with contextlib.suppress(OSError):
                process.terminate()
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_POLL_S)


def make_seekable_copy(source: str | Path, folder: str | Path, *,
                       progress: Progress | None = None, should_stop: Stop | None = None):
    """The task ``folder``'s fast-seeking copy of ``source`` (a short-GOP re-encode, over a
    copy left that does not match); a cancel leaves no partial file."""
    return repair_isolated(source, TaskFolder(folder).seekable_copy, "reencode",
                           progress=progress, should_stop=should_stop, overwrite=True)
