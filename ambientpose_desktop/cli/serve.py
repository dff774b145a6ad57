"""`ambientpose serve`: the HTTP API without a window, with its own asyncio runner."""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import sys
from dataclasses import replace
from pathlib import Path

from ambientpose_desktop.cli.cluster_flags import add_chunk_frames_flag, cluster_overrides
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
                   help="tasks run at once (default: the Settings value, else one per GPU, "
                        "or what the cluster can run)")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="run tasks on the Dask scheduler at ADDRESS (e.g. tcp://10.0.0.5:8786)"
                        ", or 'slurm' for a dask-jobqueue cluster from slurm.toml in the config "
                        "folder; the cluster must see this computer's files at the same paths "
                        "(default: as the Settings say, else this computer)")
    p.add_argument("--allow-path", action="append", type=Path, default=[], metavar="DIR",
                   help="let POST /tasks name a video on this computer under DIR instead of "
                        "uploading it (repeatable; none by default)")
    add_chunk_frames_flag(p)
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
        from ambientpose_desktop.runner.dask_runner import executor_option
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

    missing = [folder for folder in args.allow_path if not folder.is_dir()]
    if missing:
        print(f"error: --allow-path {missing[0]} is not a folder", file=sys.stderr)
        return 2
    setup_logging("server", stderr_level="INFO")
    paths = app_paths().ensure()
    where = {**(executor_option(args.dask) if args.dask else {}), **cluster_overrides(args)}

    def settings() -> AppSettings:
        """Read at each use, like the window's: the Results folder, slots, Worker Python and
        executor the Settings dialog saved apply to serve too (``--dask`` wins)."""
        return replace(AppSettings.load(paths), **where)

    with opened_store(args, paths) as (repo, artefacts):
        runner = AsyncTaskRunner(repo, artefacts, settings=settings, slots=args.slots)

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
                         settings=settings, lifespan=lifespan, allowed_folders=args.allow_path)
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
        if args.allow_path:
            print("videos may also be named by path under: "
                  + ", ".join(str(folder.resolve()) for folder in args.allow_path), flush=True)
        print(f"token: {tokens.current()}", flush=True)
        print(f"  curl -H 'Authorization: Bearer {tokens.current()}' {url}/tasks", flush=True)
        uvicorn.Server(server_config(app)).run(sockets=[sock])
    return 0
