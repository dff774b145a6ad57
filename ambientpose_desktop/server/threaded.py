"""uvicorn in a background thread, for the window's embedded server and for tests.

The socket is bound before the thread starts, so a taken port is a readable ``OSError`` in the
caller, and port 0 gives a free port whose number is known at once.
"""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from starlette.types import ASGIApp

START_TIMEOUT_S = 15.0
# Open event streams would otherwise hold a stop until their tasks end.
GRACEFUL_SHUTDOWN_S = 2


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``; ``OSError`` says which address failed."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        # Listening now queues a client that connects before uvicorn runs (as soon as `serve`
        # has printed its URL) instead of refusing it.
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        reason = exc.strerror or str(exc)
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {reason}") from None
    return sock


def base_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def server_config(app: ASGIApp) -> uvicorn.Config:
    """uvicorn settings shared by ``serve`` and the embedded server; uvicorn leaves the
    process's logging alone (we log with loguru)."""
    return uvicorn.Config(app, log_config=None, access_log=False, lifespan="auto",
                          timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S)


class ThreadedServer:
    """One uvicorn server on its own thread and event loop."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url: str | None = None

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        if self._thread is not None:
            raise RuntimeError("the server is already running")
        sock = bind_socket(host, port)
        server = uvicorn.Server(server_config(self.app))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                  name="ambientpose-http", daemon=True)
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join(5)
                sock.close()
                raise RuntimeError("the HTTP server did not start; see the log")
            time.sleep(0.01)
        self._server, self._thread = server, thread
        self.url = base_url(host, sock.getsockname()[1])
        return self.url

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(GRACEFUL_SHUTDOWN_S + 10)
        self._server = self._thread = self.url = None
