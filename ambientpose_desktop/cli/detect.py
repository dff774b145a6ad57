"""`ambientpose detect`: the worker command the runners launch, and a tool in its own right."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def parse_option(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value.strip()


def add_parser(sub: argparse._SubParsersAction) -> None:
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
    p.add_argument("--opt", action="append", type=parse_option, default=[], metavar="KEY=VALUE",
                   help="backend-specific option (repeatable)")
    p.add_argument("--task", default="", help="task id to put in events (set by the runner)")
    p.add_argument("--debug", action="store_true", help="print tracebacks")
    p.set_defaults(func=_run_detect)


def _run_detect(args: argparse.Namespace) -> int:
    from ambientpose_desktop.pipeline.worker import DetectJob
    from ambientpose_desktop.pipeline.worker_main import detect_main

    source = args.image_dir or args.video or args.video_opt
    if args.conf < 0 or args.conf > 1:
        return usage_error("--conf must be between 0 and 1")
    if args.imgsz < 32 or args.imgsz > 4096:
        return usage_error("--imgsz must be between 32 and 4096")
    if args.max_frames is not None and args.max_frames < 1:
        return usage_error("--max-frames must be at least 1")
    if args.image_dir is not None and not args.image_dir.is_dir():
        return usage_error(f"{args.image_dir} is not a folder")
    output = args.output or Path.cwd() / f"{Path(source).stem}_pose"
    job = DetectJob(
        input=Path(source), output=output, backend=args.backend, device=args.device,
        conf=args.conf, imgsz=args.imgsz, max_frames=args.max_frames,
        overlay_video=args.overlay_video, frames_jpeg=args.frames_jpeg,
        options=dict(args.opt), task_id=args.task,
    )
    return detect_main(job, debug=args.debug)


def usage_error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


