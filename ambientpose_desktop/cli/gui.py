"""`ambientpose gui` (and plain `ambientpose`): the window."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gui", help="open the window (the default)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from ambientpose_desktop.gui.app import main as gui_main
    except ImportError as exc:
        print(f"error: the window needs the GUI extra ({exc.name} is missing): "
              "pip install 'ambientpose-desktop[app]'", file=sys.stderr)
        return 2
    return gui_main()


