"""`ambientpose run`: queue videos and folders of videos, run them here or on a Dask cluster,
show a bar per task and one overall, and exit when all are done.

The tasks join the app's queue (the window lists them) through ``runner.actions.add_task``;
this command's own runner (the asyncio one, with the Dask executor when ``--dask`` says so)
claims only them. Exit codes: 0 every task succeeded, 1 some failed or were canceled, 2 bad
usage or no usable input, 130 / 143 interrupted by Ctrl-C / SIGTERM (this command's tasks are
canceled, their workers stopped).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from ambientpose_desktop.cli.cluster_flags import add_chunk_frames_flag, cluster_overrides
from ambientpose_desktop.cli.database import add_recover_flag
from ambientpose_desktop.cli.detect import add_param_arguments

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = {signal.SIGINT: 130, signal.SIGTERM: 143}
POLL_S = 0.5


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run", help="run videos through the queue, here or on a Dask cluster, and wait",
        description="Queue videos, folders of videos and folders of images (one task each), "
                    "run them on this computer or on a Dask cluster, show their progress and "
                    "exit when all are done: 0 if all succeeded, 1 if some failed or were "
                    "canceled, 2 for bad usage or no usable input, 130 or 143 when "
                    "interrupted by Ctrl-C or SIGTERM (which cancel them). Results go where "
                    "the Settings say (the Results folder, else each task's folder); "
                    "`ambientpose tasks` lists them.")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                   help="a video, a folder of videos, or a folder of images")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="run on the Dask scheduler at ADDRESS (e.g. tcp://10.0.0.5:8786), or "
                        "'slurm' for a dask-jobqueue cluster from slurm.toml in the config "
                        "folder; the cluster must see these files at the same paths "
                        "(default: this computer)")
    p.add_argument("--slots", type=int, default=0, metavar="N",
                   help="tasks at once (default: the Settings value, else one per GPU here, "
                        "or what the cluster can run)")
    add_chunk_frames_flag(p)
    add_param_arguments(p, from_settings=True)
    add_recover_flag(p)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ambientpose_desktop.cli.batch_progress import BatchProgress
    from ambientpose_desktop.cli.database import opened_store
    from ambientpose_desktop.core.logs import setup_logging
    from ambientpose_desktop.core.params import PARAMS
    from ambientpose_desktop.core.paths import app_paths
    from ambientpose_desktop.pipeline.backends import check_task_params
    from ambientpose_desktop.runner.actions import add_task
    from ambientpose_desktop.runner.async_runner import AsyncTaskRunner
    from ambientpose_desktop.runner.dask_runner import executor_option
    from ambientpose_desktop.runner.intake import classify, refusal_text
    from ambientpose_desktop.store.settings import AppSettings

    setup_logging("run", stderr_level=None)  # the bars are the terminal's; the log has the rest
    paths = app_paths().ensure()
    where = executor_option(args.dask) if args.dask else {"executor": "local"}
    settings = replace(AppSettings.load(paths), **where, **cluster_overrides(args))
    overrides: dict[str, Any] = {name: getattr(args, name) for name in PARAMS}
    params = check_task_params(settings.task_params(
        **overrides, backend_options=dict(args.opt) if args.opt else None), as_flags=True)
    intake = classify(args.paths)
    if intake.refused:
        print(refusal_text(intake.refused), file=sys.stderr)
    if not intake.accepted:
        print("error: nothing to run", file=sys.stderr)
        return EXIT_USAGE
    with opened_store(args, paths) as (repo, artefacts):
        bars = BatchProgress()
        runner = AsyncTaskRunner(repo, artefacts, settings=lambda: settings, slots=args.slots,
                                 listener=bars, poll_interval_s=POLL_S)
        tasks = [add_task(repo, runner, path, params) for path in intake.accepted]
        runner.lifecycle.only = {task.id for task in tasks}
        bars.add(tasks)
        try:
            return asyncio.run(_until_done(runner, repo, bars))
        finally:
            bars.close()


async def _until_done(runner: Any, repo: Any, bars: Any) -> int:
    from ambientpose_desktop.core.tasks import TaskStatus
    from ambientpose_desktop.runner.actions import cancel_task

    received = [signal.SIGINT]  # asyncio.run cancels us on Ctrl-C; SIGTERM does the same here
    main = asyncio.current_task()
    asyncio.get_running_loop().add_signal_handler(
        signal.SIGTERM, lambda: (received.insert(0, signal.SIGTERM), main.cancel()))
    await runner.start()
    try:
        while True:
            tasks = [repo.find(task_id) for task_id in bars.ids]
            bars.follow([t for t in tasks if t is not None])
            if all(t is None or t.status.is_final for t in tasks):
                break
            await asyncio.sleep(POLL_S)
        # Integrity checks still running (rare: decoding alone is faster than a run) end
        # before the command does, so each task keeps its findings.
        await asyncio.get_running_loop().run_in_executor(None, runner.checks.wait)
    except asyncio.CancelledError:  # this command's tasks are canceled, not left behind
        for task_id in bars.ids:
            cancel_task(repo, runner, task_id)
        await runner.stop()
        bars.follow([t for t in map(repo.find, bars.ids) if t is not None])
        return EXIT_INTERRUPTED[received[0]]
    await runner.stop()
    done = [repo.find(task_id) for task_id in bars.ids]
    ok = all(t is not None and t.status == TaskStatus.SUCCESS for t in done)
    return EXIT_OK if ok else EXIT_SOME_FAILED
