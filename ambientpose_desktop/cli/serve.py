"""`ambientpose serve`: the HTTP API without a window, with its own asyncio runner."""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import sys

from ambientpose_desktop.cli.database import add_recover_flag

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8765


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="serve the HTTP API for remote submission (headless)",
                       description="Accept videos over HTTP, run them in this process's own "
                                   "queue runner and serve the results. Binds 127.0.0.1 unless "
                                   "told otherwise.")
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"port (default {DEFAULT_PORT}; 0 picks a free one)")
    p.add_argument("--slots", type=int, default=0, metavar="N",
                   help="tasks run at once (default: the Settings value, else one per GPU)")
    add_recover_flag(p)
    p.set_defaults(func=run)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ambientpose_desktop.runner.async_runner import AsyncTaskRunner
        from ambientpose_desktop.server.app import create_app
        from ambientpose_desktop.server.auth import TokenStore
        from ambientpose_desktop.server.threaded import base_url, bind_socket, server_config
    except ImportError as exc:
        from ambientpose_desktop.cli import missing_extra

        return missing_extra(exc, "serving", "server")
    from ambientpose_desktop.cli.database import opened_store
    from ambientpose_desktop.core.logs import setup_logging
    from ambientpose_desktop.core.paths import app_paths
    from ambientpose_desktop.store.settings import AppSettings

    setup_logging("server", stderr_level="INFO")
    paths = app_paths().ensure()
    with opened_store(args, paths) as (repo, artefacts):
        # Read at each use, like the window's: the Results folder, slots and Worker Python the
        # Settings dialog saved apply to serve too.
        runner = AsyncTaskRunner(repo, artefacts, settings=lambda: AppSettings.load(paths),
                                 slots=args.slots)

        @contextlib.asynccontextmanager
        async def lifespan(app):
            # The store is closed here, after the runner has stopped: uvicorn re-raises a
            # SIGTERM once it has shut down, and the process ends before code after run().
            try:
                async with runner.running(app):
                    yield
            finally:
                repo.close()

        tokens = TokenStore(paths.config)
        app = create_app(repo=repo, artefacts=artefacts, runner=runner, token=tokens.current,
                         settings=lambda: AppSettings.load(paths), lifespan=lifespan)
        try:
            sock = bind_socket(args.host, args.port)
        except OSError as exc:
            print(f"error: {exc.strerror or exc}", file=sys.stderr)
            return 1
        if not is_loopback(args.host):
            print(f"warning: listening on {args.host}: other machines can reach this server; "
                  "anyone with the token can submit videos and read results", file=sys.stderr)
        url = base_url(args.host, sock.getsockname()[1])
        print(f"AmbientPose API at {url}  (docs: {url}/docs)", flush=True)
        print(f"token: {tokens.current()}", flush=True)
        print(f"  curl -H 'Authorization: Bearer {tokens.current()}' {url}/tasks", flush=True)
        uvicorn.Server(server_config(app)).run(sockets=[sock])
    return 0
