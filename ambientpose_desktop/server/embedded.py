"""The server the window hosts: the same API, run in a background thread over the window's own
repository and runner, so remote tasks appear in its table and run in its queue."""

from __future__ import annotations

from collections.abc import Callable

from ambientpose_desktop.core.paths import AppPaths, app_paths
from ambientpose_desktop.runner.protocol import RemoteServer, TaskRunner
from ambientpose_desktop.server.app import create_app
from ambientpose_desktop.server.auth import TokenStore
from ambientpose_desktop.server.threaded import ThreadedServer
from ambientpose_desktop.store.artefacts import ArtefactStore
from ambientpose_desktop.store.repository import TaskRepository
from ambientpose_desktop.store.settings import AppSettings


class EmbeddedServer(RemoteServer):
    """Implements ``runner.protocol.RemoteServer``; the composition root hands it to the window.

    ``runner`` is whichever ``TaskRunner`` owns the queue in this process (the window's); the
    server only creates tasks and calls ``wake``/``cancel``, it never runs workers itself.
    """

    def __init__(self, repo: TaskRepository, artefacts: ArtefactStore, runner: TaskRunner,
                 paths: AppPaths | None = None,
                 settings: Callable[[], AppSettings] | None = None) -> None:
        self._paths = paths or app_paths()
        self._tokens = TokenStore(self._paths.config)
        self._app = create_app(repo=repo, artefacts=artefacts, runner=runner,
                               token=self._tokens.current,
                               settings=settings or (lambda: AppSettings.load(self._paths)))
        self._http: ThreadedServer | None = None

    @property
    def url(self) -> str | None:
        return self._http.url if self._http is not None else None

    @property
    def token(self) -> str:
        return self._tokens.current()

    def start(self, host: str = "127.0.0.1", port: int = 8765) -> str:
        if self._http is not None and self._http.url:
            return self._http.url
        http = ThreadedServer(self._app)
        url = http.start(host, port)
        self._http = http
        return url

    def stop(self) -> None:
        if self._http is not None:
            self._http.stop()
            self._http = None

    def regenerate_token(self) -> str:
        return self._tokens.regenerate()
