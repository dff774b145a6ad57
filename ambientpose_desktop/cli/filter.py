"""`ambientpose filter`: a task's filtered layer (drop, fill gaps, smooth); raw is kept."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ambientpose_desktop.cli.database import add_recover_flag
    from ambientpose_desktop.core.filter_settings import (
        BOUNDS,
        INTERPOLATIONS,
        METHODS,
        FilterSettings,
    )

    defaults = FilterSettings()
    p = sub.add_parser(
        "filter", help="smooth and gap-fill a task's results into its filtered layer",
        description="Per person and keypoint: drop points scored under --min-score, fill gaps "
                    "of up to --max-gap frames, then smooth. Writes the task's filtered layer "
                    "(pose_filtered.npz, parameters inside); the other layers stay as they are. "
                    "Exports and the viewer then read it by default.")
    p.add_argument("task", metavar="TASK", help="task id (see `ambientpose tasks`) or task folder")
    p.add_argument("--method", choices=METHODS, default=defaults.method,
                   help=f"smoothing (default {defaults.method}): savgol keeps peaks, median "
                        "resists single-frame jumps, one-euro removes jitter without lagging "
                        "fast motion, none only drops and fills")
    p.add_argument("--interpolation", choices=INTERPOLATIONS, default=defaults.interpolation,
                   help=f"how gaps are filled (default {defaults.interpolation})")
    for name, bound in BOUNDS.items():
        value = getattr(defaults, name)
        p.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value,
                       metavar="N" if isinstance(value, int) else "X",
                       help=f"{bound.help} (default {value}, {bound.low:g} to {bound.high:g})")
    add_recover_flag(p)
    p.set_defaults(func=_run_filter)


def _run_filter(args: argparse.Namespace) -> int:
    from ambientpose_desktop.cli.export import task_folder
    from ambientpose_desktop.cli.progress import PercentProgress
    from ambientpose_desktop.core.filter_settings import BOUNDS, FilterSettings
    from ambientpose_desktop.pipeline.filters import filter_task

    settings = FilterSettings(method=args.method, interpolation=args.interpolation,
                              **{name: getattr(args, name) for name in BOUNDS})
    folder = task_folder(args)
    progress = PercentProgress("filtering (people done)")
    try:
        out = filter_task(folder, settings, progress=progress)
    finally:
        progress.close()
    print(out)
    return 0
