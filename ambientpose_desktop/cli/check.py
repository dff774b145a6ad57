"""`ambientpose check VIDEO`: the integrity check a video gets when it is added, on its own.

Exit codes: 0 the video reads completely (warnings may remain), 1 problems found, 2 no video
to check (missing path, a folder). ``--progress`` is for the runners, which run this command
in a low-priority process of its own: it prints ``{"progress": f}`` lines before the result.
"""

from __future__ import annotations

import argparse
import json


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check", help="check a video for damage, a missing index, variable frame rate, long GOPs",
        description="Reads the whole container without decoding (packets, keyframes, "
                    "timestamps), then decodes every frame (damage inside the packets shows "
                    "only then). Prints one line per finding, or the findings as JSON. Exit "
                    "code 0: the video reads completely; 1: problems found; 2: no such video.")
    p.add_argument("video", metavar="VIDEO", help="the video file to check")
    p.add_argument("--json", action="store_true",
                   help="print the findings as one JSON object (fields in the README)")
    p.add_argument("--quick", action="store_true",
                   help="the container pass only: fast, but blind to damage inside packets")
    p.add_argument("--progress", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=_run_check)


def _run_check(args: argparse.Namespace) -> int:
    import av.logging

    from ambientpose_desktop.pipeline.media_check import check_media

    # What the decoder says about damage is in the findings; its own log lines are noise.
    av.logging.set_level(None)
    progress = _print_progress if args.progress else None
    check = check_media(args.video, quick=args.quick, progress=progress)
    if args.json or args.progress:
        print(json.dumps(check.to_dict()), flush=True)
    else:
        for line in _lines(check):
            print(line)
    return 0 if check.ok else 1


def _print_progress(fraction: float) -> None:
    print(json.dumps({"progress": round(fraction, 4)}), flush=True)


def _lines(check) -> list[str]:
    """One line per finding; the first says what the video is."""
    what = f"{check.frames} frames" if check.frames else "no frames"
    if check.codec:
        what += f", {check.codec}"
    if check.fps:
        what += f", {check.fps:g} fps, {check.duration_s:.2f} s"
    if check.keyframe_interval:
        what += f", keyframe every ≤ {check.keyframe_interval} frames"
    lines = [f"{'ok' if check.ok else 'problems'}: {what}"
             + (" (container pass only)" if check.quick else "")]
    lines += [f"problem: {p}" for p in check.problems]
    lines += [f"warning: {w}" for w in check.warnings]
    return lines
