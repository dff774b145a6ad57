"""`ambientpose token`: show or replace the API's bearer token."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("token", help="print the API token (for remote clients)")
    p.add_argument("--regenerate", action="store_true",
                   help="replace it with a new one; clients using the old one get 401")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ambientpose_desktop.core.paths import app_paths
    from ambientpose_desktop.server.auth import TokenStore

    tokens = TokenStore(app_paths().ensure().config)
    print(tokens.regenerate() if args.regenerate else tokens.current())
    return 0
