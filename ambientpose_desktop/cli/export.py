"""`ambientpose export`: a finished task's results as AlphaPose/COCO JSON, CSV, video or JPEGs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ambientpose_desktop.cli.database import add_recover_flag


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ambientpose_desktop.pipeline.export_formats import EXPORT_FORMATS

    p = sub.add_parser("export", help="export a task's results",
                       description="Write a finished task's results in another format.")
    p.add_argument("task", metavar="TASK", help="task id (see `ambientpose tasks`) or task folder")
    p.add_argument("--format", "-f", default="alphapose", choices=EXPORT_FORMATS,
                   help="alphapose (default), coco, csv, overlay-video or frames-jpeg")
    p.add_argument("--output", "-o", type=Path, required=True, metavar="PATH",
                   help="file to write (a folder for frames-jpeg)")
    p.add_argument("--overwrite", action="store_true", help="replace PATH if it exists")
    add_recover_flag(p)
    p.set_defaults(func=_run_export)


def task_folder(args: argparse.Namespace) -> Path:
    """The folder of ``args.task``: a path to a task folder, or a task id looked up in the
    store."""
    from ambientpose_desktop.cli.database import opened_store
    from ambientpose_desktop.core.errors import InputError
    from ambientpose_desktop.core.task_folder import TaskFolder
    from ambientpose_desktop.store import TaskNotFound, UnsafePath

    task = args.task
    as_path = Path(task).expanduser()
    if as_path.is_dir():
        return as_path
    with opened_store(args) as (repo, artefacts):
        try:
            found = repo.get(task)
            folder = artefacts.results_dir(found)
        except (TaskNotFound, UnsafePath):
            raise InputError(f"no task or task folder called {task!r}") from None
    if not TaskFolder(folder).has_results():
        raise InputError(f"task {task} has no results yet (status {found.status.value})")
    return folder


def _run_export(args: argparse.Namespace) -> int:
    from ambientpose_desktop.pipeline.export import export_task

    folder = task_folder(args)
    shown = [-1]

    def progress(done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if sys.stderr.isatty() and percent != shown[0]:
            shown[0] = percent
            print(f"\rexporting {args.format}: {percent}%", end="", file=sys.stderr)

    out = export_task(folder, args.format, args.output, overwrite=args.overwrite,
                      progress=progress)
    if shown[0] >= 0:
        print(file=sys.stderr)
    print(out)
    return 0
