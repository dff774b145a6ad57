"""The ``ambientpose`` command: the window by default, and subcommands for headless work.

Each subcommand imports what it needs only when it runs, so ``ambientpose detect`` never loads
Qt and ``ambientpose`` (the window) never loads a model runtime at start-up.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ambientpose_desktop import __version__
from ambientpose_desktop.core.errors import AmbientPoseError


def _option(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value.strip()


def _add_detect(sub: argparse._SubParsersAction) -> None:
    from ambientpose_desktop.pipeline.backends import DEFAULT_BACKEND, backend_names

    p = sub.add_parser("detect", help="estimate poses in a video or image folder",
                       description="Run pose estimation and write pose.json, summary.json and "
                                   "events.jsonl to the output folder.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("video", nargs="?", type=Path, help="video file")
    src.add_argument("--video", dest="video_opt", type=Path, metavar="PATH", help="video file")
    src.add_argument("--image-dir", type=Path, metavar="DIR", help="folder of images")
    p.add_argument("--output", "-o", type=Path, metavar="DIR",
                   help="results folder (default: ./<name>_pose next to where you are)")
    p.add_argument("--backend", default=DEFAULT_BACKEND, choices=backend_names(),
                   help=f"pose backend (default: {DEFAULT_BACKEND})")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda:N (default: auto)")
    p.add_argument("--conf", type=float, default=0.25, help="person confidence threshold")
    p.add_argument("--imgsz", type=int, default=640, help="model input size in pixels")
    p.add_argument("--max-frames", type=int, metavar="N", help="stop after N frames")
    p.add_argument("--overlay-video", action="store_true", help="also write overlay.mp4")
    p.add_argument("--frames-jpeg", action="store_true",
                   help="also write frames_*/ and overlay_*/ JPEG folders")
    p.add_argument("--opt", action="append", type=_option, default=[], metavar="KEY=VALUE",
                   help="backend-specific option (repeatable)")
    p.add_argument("--task", default="", help="task id to put in events (set by the runner)")
    p.add_argument("--debug", action="store_true", help="print tracebacks")
    p.set_defaults(func=_run_detect)


def _run_detect(args: argparse.Namespace) -> int:
    from ambientpose_desktop.pipeline.worker import DetectJob
    from ambientpose_desktop.pipeline.worker_main import detect_main

    source = args.image_dir or args.video or args.video_opt
    if args.conf < 0 or args.conf > 1:
        return _usage_error("--conf must be between 0 and 1")
    if args.imgsz < 32 or args.imgsz > 4096:
        return _usage_error("--imgsz must be between 32 and 4096")
    if args.max_frames is not None and args.max_frames < 1:
        return _usage_error("--max-frames must be at least 1")
    if args.image_dir is not None and not args.image_dir.is_dir():
        return _usage_error(f"{args.image_dir} is not a folder")
    output = args.output or Path.cwd() / f"{Path(source).stem}_pose"
    job = DetectJob(
        input=Path(source), output=output, backend=args.backend, device=args.device,
        conf=args.conf, imgsz=args.imgsz, max_frames=args.max_frames,
        overlay_video=args.overlay_video, frames_jpeg=args.frames_jpeg,
        options=dict(args.opt), task_id=args.task,
    )
    return detect_main(job, debug=args.debug)


def _usage_error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _add_tasks(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tasks", help="list tasks in the queue")
    p.add_argument("--status", type=str.upper,
                   choices=["PENDING", "RUNNING", "SUCCESS", "FAILED", "CANCELED"])
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=_run_tasks)


def _run_tasks(args: argparse.Namespace) -> int:
    from ambientpose_desktop.core.tasks import TaskStatus
    from ambientpose_desktop.store import open_store

    repo, _ = open_store()
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


def _add_gui(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gui", help="open the window (the default)")
    p.set_defaults(func=_run_gui)


def _run_gui(args: argparse.Namespace) -> int:
    try:
        from ambientpose_desktop.gui.app import main as gui_main
    except ImportError as exc:
        print(f"error: the window needs the GUI extra ({exc.name} is missing): "
              "pip install 'ambientpose-desktop[app]'", file=sys.stderr)
        return 2
    return gui_main()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ambientpose", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"ambientpose {__version__}")
    sub = parser.add_subparsers(dest="command")
    for add in (_add_detect, _add_tasks, _add_gui):
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        return _run_gui(args)
    try:
        return int(args.func(args) or 0)
    except AmbientPoseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
