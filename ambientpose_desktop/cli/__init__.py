"""The ``ambientpose`` command: the window by default, and subcommands for headless work.

Each subcommand lives in its own module here and imports what it needs only when it runs, so
``ambientpose detect`` never loads Qt and ``ambientpose`` (the window) never loads a model
runtime at start-up.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ambientpose_desktop import __version__
from ambientpose_desktop.core.errors import AmbientPoseError

# Modules of this package that each define ``add_parser(subparsers)``; order = --help order.
SUBCOMMANDS = ("gui", "detect", "check", "repair", "run", "tasks", "tracks", "serve", "token",
               "check_alphapose", "filter", "export", "view", "about")


def missing_extra(exc: ImportError, what: str, extra: str) -> int:
    """One line saying which install extra brings the missing module; usage exit code."""
    print(f"error: {what} needs the {extra} extra ({exc.name} is missing): "
          f"pip install 'ambientpose-desktop[{extra}]'", file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ambientpose",
        description="Pose estimation for lab videos. Without a command, opens the window; "
                    "the commands below work headless.")
    parser.add_argument("--version", action="version", version=f"ambientpose {__version__}")
    sub = parser.add_subparsers(dest="command")
    for name in SUBCOMMANDS:
        importlib.import_module(f"{__name__}.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:  # plain ``ambientpose``: the window, with the same one-line errors
        from ambientpose_desktop.cli.gui import run as func
    try:
        return int(func(args) or 0)
    except AmbientPoseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
