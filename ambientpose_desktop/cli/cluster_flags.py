"""What ``run`` and ``serve`` let the command line say about a cluster besides ``--dask``."""

from __future__ import annotations

import argparse
from typing import Any


def _frames(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of frames, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value}: 0 (never split) or more")
    return value


def add_chunk_frames_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--chunk-frames", type=_frames, default=None, metavar="N",
                        help="on a cluster, a video longer than N frames runs in chunks of N "
                             "frames on several workers, joined after (0: never; default: "
                             "the Settings value)")


def cluster_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings fields the flags override."""
    return {} if args.chunk_frames is None else {"chunk_frames": args.chunk_frames}
