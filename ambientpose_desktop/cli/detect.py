"""`ambientpose detect`: the worker command the runners launch, and a tool in its own right.

Its flags are made from the task parameters' declarations (``core.params``), so their
defaults, ranges and help are the ones the API and the Settings dialog use.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ambientpose_desktop.core.chunks import JOIN_FLAG, START_FLAG, STOP_FLAG

EVENT_MODES = ("auto", "jsonl", "bar")


def parse_option(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value.strip()


def _options_epilog() -> str:
    """Every backend's ``--opt`` keys with their defaults and ranges (read from the classes
    the registry imports; a backend whose module cannot load here is named as such)."""
    from ambientpose_desktop.pipeline.backends import backend_class, backend_names

    lines = ["backend options (--opt KEY=VALUE):"]
    for name in backend_names():
        try:
            options = backend_class(name).options
        except ImportError as exc:
            lines.append(f"  {name}: cannot be loaded here ({exc.name or exc})")
            continue
        lines.append(f"  {name}:" + ("" if options else " none"))
        for option in options:
            default = "" if option.default in (None, "") else f", default {option.default}"
            lines.append(f"    {option.key:14} {option.help or option.label} "
                         f"({option.describe()}{default})")
    return "\n".join(lines)


class _HelpWithOptions(argparse._HelpAction):
    """``--help`` that lists the backends' options: building that list imports the backend
    modules (NumPy…), which the window's start-up and other commands must not pay for."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        parser.epilog = _options_epilog()
        super().__call__(parser, namespace, values, option_string)


def add_param_arguments(p: argparse.ArgumentParser, *, from_settings: bool = False) -> None:
    """A flag for each task parameter (made from its declaration) and ``--opt``; with
    ``from_settings`` (``run``), what is left out comes from the Settings, not the defaults."""
    from ambientpose_desktop.core.params import PARAMS
    from ambientpose_desktop.pipeline.backends import backend_names

    for spec in PARAMS.values():
        if spec.kind == "bool":
            p.add_argument(spec.flag, dest=spec.name, action="store_true",
                           default=None if from_settings else False, help=spec.help)
            continue
        allowed = spec.describe() if spec.name != "backend" else ", ".join(backend_names())
        default = "the Settings value" if from_settings else \
            "none" if spec.default is None else spec.default
        p.add_argument(spec.flag, dest=spec.name, default=None if from_settings else spec.default,
                       metavar=spec.name.upper() if spec.kind != "str" else None,
                       help=f"{spec.help} ({allowed}{'; ' if allowed else ''}"
                            f"default: {default})")
    p.add_argument("--opt", action="append", type=parse_option, default=[], metavar="KEY=VALUE",
                   help="backend option (repeatable; listed in detect --help)" if from_settings
                   else "backend option (repeatable; listed below)")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "detect", help="estimate poses in a video or image folder",
        description="Run pose estimation and write pose.json, summary.json and events.jsonl "
                    "to the output folder.",
        add_help=False, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-h", "--help", action=_HelpWithOptions, help="show this help and exit")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("video", nargs="?", type=Path, help="video file")
    src.add_argument("--video", dest="video_opt", type=Path, metavar="PATH", help="video file")
    src.add_argument("--image-dir", type=Path, metavar="DIR", help="folder of images")
    p.add_argument("--output", "-o", type=Path, metavar="DIR",
                   help="results folder (default: ./<name>_pose in the current folder)")
    add_param_arguments(p)
    p.add_argument("--events", choices=EVENT_MODES, default="auto",
                   help="jsonl: one JSON event per line on stdout (what programs read); bar: a "
                        "progress bar; auto (default): jsonl when stdout is not a terminal")
    p.add_argument("--resume", action="store_true",
                   help="carry on from the output folder's last checkpoint (see "
                        "--checkpoint-every); starts over when there is none it can use")
    p.add_argument("--task", default="", help=argparse.SUPPRESS)  # set by the runners
    # A chunk of a long video on a cluster, and the join of the chunks (runner/dask_chunks.py).
    p.add_argument(START_FLAG, type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument(STOP_FLAG, type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument(JOIN_FLAG, type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--debug", action="store_true", help="print tracebacks")
    p.set_defaults(func=_run_detect)


def _run_detect(args: argparse.Namespace) -> int:
    from ambientpose_desktop.core.errors import InputError
    from ambientpose_desktop.core.params import PARAMS, TaskParams
    from ambientpose_desktop.pipeline.backends import check_task_params
    from ambientpose_desktop.pipeline.worker import DetectJob
    from ambientpose_desktop.pipeline.worker_main import detect_main

    params = check_task_params(TaskParams(
        **{name: getattr(args, name) for name in PARAMS}, backend_options=dict(args.opt)),
        as_flags=True)
    source = Path(args.image_dir or args.video or args.video_opt)
    if args.image_dir is not None and not source.is_dir():
        raise InputError(f"{source} is not a folder")
    if not source.exists():
        raise InputError(f"{source} does not exist")
    output = args.output or Path.cwd() / f"{source.stem}_pose"
    frame_range = None
    if args.start_frame is not None or args.stop_frame is not None:
        frame_range = (args.start_frame or 0, args.stop_frame)
        if frame_range[0] < 0 or (args.stop_frame is not None
                                  and args.stop_frame <= frame_range[0]):
            raise InputError(f"no frames between {START_FLAG} {frame_range[0]} and "
                             f"{STOP_FLAG} {args.stop_frame}")
    job = DetectJob(input=source, output=output, params=params, task_id=args.task,
                    resume=args.resume, frame_range=frame_range, join_chunks=args.join_chunks)
    mode = args.events
    if mode == "auto":
        mode = "bar" if sys.stdout.isatty() else "jsonl"
    if mode == "jsonl":
        return detect_main(job, debug=args.debug, stream=sys.stdout)
    from ambientpose_desktop.cli.progress import TerminalProgress

    bar = TerminalProgress(source.name)
    try:
        return detect_main(job, debug=args.debug, listener=bar)
    finally:
        bar.close()
