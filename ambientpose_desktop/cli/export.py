"""`ambientpose export`: a finished task's results as AlphaPose/COCO JSON, CSV, SLEAP, NWB,
DeepLabCut, video or JPEGs, from the layer of results asked for."""

from __future__ import annotations

import argparse
from pathlib import Path

from ambientpose_desktop.cli.database import add_recover_flag


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ambientpose_desktop.core.layers import LAYER_NAMES
    from ambientpose_desktop.pipeline.export_formats import EXPORT_FORMATS, EXTRA_OF

    p = sub.add_parser("export", help="export a task's results",
                       description="Write a finished task's results in another format.")
    p.add_argument("task", metavar="TASK", help="task id (see `ambientpose tasks`) or task folder")
    p.add_argument("--format", "-f", default="alphapose", choices=EXPORT_FORMATS,
                   help=f"{', '.join(EXPORT_FORMATS)} (default alphapose); "
                        f"{', '.join(EXTRA_OF)} need the interchange extra; "
                        "dlc writes .h5 or .csv by the name of PATH")
    p.add_argument("--output", "-o", type=Path, required=True, metavar="PATH",
                   help="file to write (a folder for frames-jpeg)")
    p.add_argument("--layer", choices=LAYER_NAMES, default=None,
                   help="which results (default: the most processed the task has, e.g. "
                        "edited after proofreading; 'linked' leaves the edits out)")
    p.add_argument("--coco-gt", type=Path, metavar="JSON", default=None,
                   help="coco of an image folder: take image_id from these COCO annotations "
                        "by file name (default: from COCO-style names such as "
                        "000000397133.jpg; a video's image_id is its frame number)")
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
    from ambientpose_desktop.cli.progress import PercentProgress
    from ambientpose_desktop.pipeline.export import export_task

    folder = task_folder(args)
    progress = PercentProgress(f"exporting {args.format}")
    try:
        out = export_task(folder, args.format, args.output, layer=args.layer,
                          overwrite=args.overwrite, progress=progress, coco_gt=args.coco_gt)
    finally:
        progress.close()
    print(out)
    return 0
