"""`ambientpose about`: versions and licences, the text of Help → About for bug reports."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("about", help="print versions, licences and where data is kept")
    p.set_defaults(func=_run_about)


def _run_about(args: argparse.Namespace) -> int:
    from ambientpose_desktop.core.about import report_lines
    from ambientpose_desktop.core.paths import app_paths

    paths = app_paths()
    print("\n".join(report_lines()))
    print(f"Data: {paths.data}\nSettings: {paths.config}\nLogs: {paths.logs}")
    return 0
