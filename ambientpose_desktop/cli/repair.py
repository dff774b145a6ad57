"""`ambientpose repair`: a repaired copy of a video (remux, short-GOP re-encode or salvage),
with the frames that were lost named in its output and in a JSON sidecar."""

from __future__ import annotations

import argparse
import json
import signal
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ambientpose_desktop.pipeline.media_repair import MODES, SHORT_GOP

    p = sub.add_parser(
        "repair", help="write a repaired copy of a damaged or slow-to-seek video",
        description="Write a repaired MP4 copy of VIDEO (the input is never changed). remux: "
                    "copy the packets into a proper MP4 (broken container, timestamps out of "
                    f"order); reencode: a keyframe at least every {SHORT_GOP} frames, so the "
                    "copy seeks fast (the source's timestamps are kept); salvage: keep every "
                    "frame that decodes and name the frames lost. auto (default) checks the "
                    "video first and picks one. The findings go to OUT.repair.json too.")
    p.add_argument("video", type=Path, metavar="VIDEO", help="the video to repair")
    p.add_argument("--output", "-o", type=Path, required=True, metavar="OUT.mp4",
                   help="the repaired copy (MP4)")
    p.add_argument("--mode", choices=("auto", *MODES), default="auto",
                   help="what to do (default auto: chosen from the integrity check)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace OUT.mp4 (and its sidecar) if they exist; never the input")
    p.add_argument("--json", action="store_true",
                   help="print the findings as JSON on stdout instead of lines of text")
    # for the window, which runs this command as a process of its own: JSON progress lines
    # ({"step", "done", "total"}) on stdout before the findings
    p.add_argument("--progress", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=_run_repair)


def _run_repair(args: argparse.Namespace) -> int:
    import av.logging

    from ambientpose_desktop.cli.progress import StepProgress
    from ambientpose_desktop.pipeline.media_repair import sidecar_path
    from ambientpose_desktop.runner.actions import repair_video

    # FFmpeg's own lines about each broken packet would bury the one summary that names them.
    av.logging.set_libav_level(av.logging.FATAL)
    # SIGTERM (the window's Cancel) unwinds like Ctrl-C: the partial copy is removed.
    signal.signal(signal.SIGTERM, _interrupt)
    progress = _print_progress if args.progress else StepProgress()
    try:
        result = repair_video(args.video, args.output, args.mode, progress=progress,
                              overwrite=args.overwrite)
    finally:
        if isinstance(progress, StepProgress):
            progress.close()
    if args.progress:  # one line, after the progress lines
        print(json.dumps(result.to_dict()))
        return 0
    if args.json:
        print(result.to_json())
        return 0
    if not result.output:  # auto found nothing to repair
        print("; ".join(result.notes))
        return 0
    print(result.summary())
    for note in result.notes:
        print(f"note: {note}")
    print(f"findings: {sidecar_path(Path(result.output))}")
    return 0


def _print_progress(step: str, done: int, total: int) -> None:
    print(json.dumps({"step": step, "done": done, "total": total}), flush=True)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
