"""Task folders on disk, adopted back into the task database.

The task folder is the source of truth for a task's artefacts; the database only indexes
them. When a damaged database has been moved aside (``open_store(recover=True)``), or when
asked (``ambientpose tasks --adopt``), every task folder the database does not know becomes a
task again, under its own id (the folder's name): a folder holding a finished run
(``core.run_outcome``, as crash recovery decides) becomes SUCCESS with its input, parameters
and metrics from its summary and last event; any other becomes FAILED, saying that its
results are incomplete. Either keeps the findings of its input's integrity check
(``check.json``). Adopting twice adds nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.core.paths import AppPaths
from ambientpose_desktop.core.run_outcome import finished_metrics, finished_run
from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.store.models import Task
from ambientpose_desktop.store.repository import TaskRepository
from ambientpose_desktop.store.settings import AppSettings

# Task ids are uuid4 hex (``models.new_task_id``): other folders in a Results folder are not ours.
_TASK_ID = re.compile(r"[0-9a-f]{32}")
INCOMPLETE = ("adopted from its task folder, which holds no finished run: its results are "
              "incomplete; choose Retry to run it again")
UNKNOWN_INPUT = "unknown input"


def task_folder_parents(paths: AppPaths) -> list[Path]:
    """Where task folders live: ``<data>/tasks/`` and the Results folder of the settings."""
    parents = [paths.tasks]
    chosen = AppSettings.load(paths).output_dir
    if chosen:
        parents.append(Path(chosen).expanduser())
    return parents


def adopt_task_folders(repo: TaskRepository, paths: AppPaths) -> list[Task]:
    """Add a task for each task folder of ``paths`` the database does not know; returns them."""
    known = repo.ids()
    adopted = []
    for task_id, folder in sorted(_task_folders(task_folder_parents(paths)).items()):
        if task_id not in known:
            task = task_from_folder(folder, paths.uploads / task_id)
            task.media_check = _media_check(TaskFolder(paths.tasks / task_id))
            if repo.insert_absent(task):
                adopted.append(task)
    return adopted


def _task_folders(parents: Iterable[Path]) -> dict[str, Path]:
    """Task id → its folder; where one id has two folders, the one with a finished run."""
    found: dict[str, Path] = {}
    for parent in parents:
        try:
            children = sorted(parent.iterdir())
        except OSError:  # a Results folder on a share that is not mounted now, say
            continue
        for folder in children:
            if not _TASK_ID.fullmatch(folder.name) or not folder.is_dir():
                continue
            earlier = found.get(folder.name)
            if earlier is None or (TaskFolder(folder).has_results()
                                   and not TaskFolder(earlier).has_results()):
                found[folder.name] = folder
    return found


def task_from_folder(folder: Path, upload: Path | None = None) -> Task:
    """The task that ``folder`` (named by its id) records; ``upload`` is where the server
    would have kept its input, which names the input of a run that did not finish."""
    finished = finished_run(folder)
    summary = _summary(TaskFolder(folder)) if finished is not None else None
    if finished is None or summary is None:
        moment = _newest_mtime(folder)
        input_path = _uploaded_input(upload)
        return Task(id=folder.name, status=TaskStatus.FAILED, error=INCOMPLETE,
                    filename=Path(input_path).name if input_path else UNKNOWN_INPUT,
                    input_path=input_path, created_at=moment, updated_at=moment,
                    finished_at=moment, output_dir=str(folder))
    ended = _mtime(TaskFolder(folder).summary)
    started = ended - timedelta(seconds=finished.elapsed_s or 0.0)
    return Task(id=folder.name, status=TaskStatus.SUCCESS,
                filename=Path(summary.source.path).name, input_path=summary.source.path,
                params=TaskParams.from_dict(summary.params).to_dict(),
                created_at=started, updated_at=ended, started_at=started, finished_at=ended,
                progress_done=finished.frames, progress_total=finished.frames,
                metrics={"fps": summary.timings.get("fps", 0.0),
                         **finished_metrics(folder, finished)},
                output_dir=str(folder))


def _media_check(folder: TaskFolder) -> dict | None:
    """The findings of the input's integrity check (``check.json``, always in the data
    folder's task folder), if it ran."""
    try:
        found = json.loads(folder.media_check.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _summary(folder: TaskFolder) -> Summary | None:
    try:
        return Summary.read(folder.summary)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None  # without its summary, a run's input and parameters are unknown


def _uploaded_input(upload: Path | None) -> str:
    try:
        files = [p for p in sorted(upload.iterdir()) if p.is_file()] if upload else []
    except OSError:
        files = []
    return str(files[0]) if files else ""


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _newest_mtime(folder: Path) -> datetime:
    try:
        return max([_mtime(folder), *(_mtime(p) for p in folder.iterdir())])
    except OSError:
        return datetime.now(UTC)
