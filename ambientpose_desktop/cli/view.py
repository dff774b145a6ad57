"""`ambientpose view PATH`: any results in the viewer, with or without a task in the database."""

from __future__ import annotations

import argparse
from pathlib import Path

from ambientpose_desktop.cli.database import add_recover_flag


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "view", help="open results in the viewer",
        description="Open results in the viewer to look at, proofread, filter and export "
                    "them: a task, a results folder written by `ambientpose detect --output "
                    "DIR`, its pose.json or pose.npz, or results made elsewhere with their "
                    "video: pose JSON in AlphaPose's format, SLEAP predictions (.slp, "
                    "analysis .h5) or DeepLabCut predictions (.h5, .csv; these two need the "
                    "interchange extra). Their keypoints must be a format AmbientPose knows "
                    "(COCO-17, Halpe-26, Halpe-136, matched by name). Results made elsewhere "
                    "get a folder of their own in the app's data folder; the file itself is "
                    "never changed.")
    p.add_argument("path", metavar="PATH",
                   help="task id (see `ambientpose tasks`), results folder, pose.json / "
                        "pose.npz, an AlphaPose-format JSON file or its folder, a .slp, or a "
                        "SLEAP analysis or DeepLabCut .h5 / .csv")
    p.add_argument("--video", type=Path, default=None, metavar="VIDEO",
                   help="the video of results made elsewhere (default: the one a SLEAP file "
                        "names, if it is there, else the only video beside them)")
    add_recover_flag(p)
    p.set_defaults(func=_run_view)


def _run_view(args: argparse.Namespace) -> int:
    from ambientpose_desktop.core.paths import app_paths
    from ambientpose_desktop.pipeline.open_results import results_folder

    path = Path(args.path).expanduser()
    looks_like_a_path = "/" in args.path or "\\" in args.path or path.suffix != ""
    if path.exists() or looks_like_a_path or args.video is not None:
        folder = results_folder(path, app_paths().opened, args.video)
    else:  # a task id
        from ambientpose_desktop.cli.export import task_folder

        args.task = args.path
        folder = task_folder(args)
    try:
        from ambientpose_desktop.gui.app import view
    except ImportError as exc:
        from ambientpose_desktop.cli import missing_extra

        return missing_extra(exc, "the viewer", "app")
    return view(folder)
