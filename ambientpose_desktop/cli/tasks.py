"""`ambientpose tasks`: the queue in the terminal."""

from __future__ import annotations

import argparse

from ambientpose_desktop.cli.database import add_recover_flag


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tasks", help="list tasks in the queue")
    p.add_argument("--status", type=str.upper,
                   choices=["PENDING", "RUNNING", "SUCCESS", "FAILED", "CANCELED"])
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--adopt", action="store_true",
                   help="first add the task folders on disk that the list does not have "
                        "(finished ones as done, others as failed); running it again adds "
                        "nothing")
    add_recover_flag(p)
    p.set_defaults(func=_run_tasks)


def _run_tasks(args: argparse.Namespace) -> int:
    from ambientpose_desktop.cli.database import opened_store
    from ambientpose_desktop.core.paths import app_paths
    from ambientpose_desktop.core.tasks import TaskStatus
    from ambientpose_desktop.store.adoption import adopt_task_folders

    paths = app_paths()
    with opened_store(args, paths) as (repo, _):
        if args.adopt:
            print(f"adopted {len(adopt_task_folders(repo, paths))} task folder(s)")
        status = TaskStatus(args.status) if args.status else None
        tasks = repo.list(status=status, limit=args.limit, newest_first=True)
    if not tasks:
        print("no tasks")
        return 0
    print(f"{'ID':32}  {'STATUS':8}  {'PROGRESS':>11}  {'CREATED':19}  FILE")
    for t in tasks:
        progress = f"{t.progress_done}/{t.progress_total}" if t.progress_total else "-"
        print(f"{t.id:32}  {t.status.value:8}  {progress:>11}  "
              f"{t.created_at:%Y-%m-%d %H:%M:%S}  {t.filename}")
        if t.error:
            print(f"{'':32}  error: {t.error}")
    return 0
