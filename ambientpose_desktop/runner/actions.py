"""What the user can do to a task, as plain functions: the window's menus, shortcuts and context
menu call these, and the server does too, so add / cancel / retry / remove mean the same
everywhere."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.core.tasks import InvalidTransition, TaskStatus
from ambientpose_desktop.runner.protocol import TaskRunner, signal_foreign_worker
from ambientpose_desktop.store.artefacts import ArtefactStore
from ambientpose_desktop.store.models import Task
from ambientpose_desktop.store.repository import TaskNotFound, TaskRepository


def add_task(repo: TaskRepository, runner: TaskRunner, input_path: str | Path,
             params: TaskParams, *, filename: str | None = None,
             task_id: str | None = None) -> Task:
    """Queue a video or image folder with ``params`` (checked against their declared bounds:
    ``InputError`` says what is wrong), have its integrity checked in the background and wake
    the runner (the task may start before the check ends); the window's drop and Open, the
    API's upload and the batch command all add tasks through here."""
    from ambientpose_desktop.pipeline.backends import check_task_params

    task = repo.create(input_path, check_task_params(params), filename=filename,
                       task_id=task_id)
    runner.check_input(task.id, task.input_path)
    runner.wake()
    return task


def cancel_task(repo: TaskRepository, runner: TaskRunner, task_id: str) -> bool:
    """Stop a running task or drop a pending one; ``False`` when it had already ended."""
    try:
        task = repo.get(task_id)
    except TaskNotFound:
        return False
    if task.status == TaskStatus.RUNNING:
        return runner.cancel(task_id) or signal_foreign_worker(task)
    if task.status == TaskStatus.PENDING:
        try:
            repo.set_status(task_id, TaskStatus.CANCELED)
        except InvalidTransition:  # claimed in the meantime: stop the worker instead
            return runner.cancel(task_id)
        return True
    return False


def retry_task(repo: TaskRepository, runner: TaskRunner, task_id: str) -> bool:
    """Queue a finished task again; ``False`` when it is still pending or running."""
    try:
        repo.retry(task_id)
    except (TaskNotFound, InvalidTransition):
        return False
    runner.wake()
    return True


def remove_task(repo: TaskRepository, artefacts: ArtefactStore, runner: TaskRunner,
                task_id: str) -> None:
    """Forget a task and delete its results; a running one is canceled first."""
    task = repo.find(task_id)
    if task is None:
        return
    cancel_task(repo, runner, task_id)
    with contextlib.suppress(TaskNotFound):
        repo.delete(task_id)
    artefacts.delete(task_id)
    # Results written to a user-chosen folder live in <folder>/<task id>/: only that goes.
    if task.output_dir and Path(task.output_dir).name == task_id:
        shutil.rmtree(task.output_dir, ignore_errors=True)


def repair_video(source: str | Path, output: str | Path, mode: str = "auto", *,
                 progress=None, should_stop=None, overwrite: bool = False):
    """Write a repaired copy of ``source`` at ``output`` (``pipeline.media_repair.repair``:
    remux, short-GOP re-encode or salvage; the input is never touched) and return what was
    done (``RepairResult``, lost frames named). `ambientpose repair` and the window's
    Repair… call this; the window then offers the copy to ``add_task``."""
    from ambientpose_desktop.pipeline.media_repair import repair

    return repair(Path(source), Path(output), mode, progress=progress,
                  should_stop=should_stop, overwrite=overwrite)
