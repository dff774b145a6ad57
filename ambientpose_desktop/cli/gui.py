"""`ambientpose gui` (and plain `ambientpose`): the window."""

from __future__ import annotations

import argparse
import importlib.util

from ambientpose_desktop.cli.database import add_recover_flag


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gui", help="open the window (the default)")
    add_recover_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from ambientpose_desktop.gui.app import main as gui_main
    except ImportError as exc:
        from ambientpose_desktop.cli import missing_extra

        return missing_extra(exc, "the window", "app")
    return gui_main(_server_factory(), recover_db=getattr(args, "recover_db", False))


def _server_factory():
    """What builds the embedded server for the window's Server menu, or ``None`` without the
    server extra. Only looked up here: importing it loads FastAPI, which the window defers to
    the first Start. The composition root is the one place that knows both sides."""
    if importlib.util.find_spec("fastapi") is None or \
            importlib.util.find_spec("ambientpose_desktop.server.embedded") is None:
        return None

    def make(repo, artefacts, runner, settings):
        from ambientpose_desktop.server.embedded import EmbeddedServer

        return EmbeddedServer(repo, artefacts, runner, settings=settings)

    return make
