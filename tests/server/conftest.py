"""A real uvicorn on 127.0.0.1 (free port) in a thread, over a temporary store, and httpx."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.core.paths import app_paths
from ambientpose_desktop.runner.async_runner import AsyncTaskRunner
from ambientpose_desktop.server.app import create_app
from ambientpose_desktop.server.auth import TokenStore
from ambientpose_desktop.server.threaded import ThreadedServer
from ambientpose_desktop.store.artefacts import ArtefactStore
from ambientpose_desktop.store.repository import TaskRepository
from ambientpose_desktop.store.settings import AppSettings
from tests.pipeline.worker_helpers import worker_env


@dataclass
class RecordingRunner:
    """A ``TaskRunner`` that runs nothing: for tests about the API, not about workers."""

    wakes: int = 0
    running: set[str] = field(default_factory=set)
    canceled: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # ids of tasks whose input was handed on
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wake(self) -> None:
        with self.lock:
            self.wakes += 1

    def cancel(self, task_id: str) -> bool:
        self.canceled.append(task_id)
        return task_id in self.running

    def check_input(self, task_id: str, input_path: str) -> None:
        self.checked.append(task_id)


@dataclass
class Api:
    url: str
    token: str
    repo: TaskRepository
    artefacts: ArtefactStore
    runner: AsyncTaskRunner | RecordingRunner

    def client(self, token: str | None = None, **options) -> httpx.Client:
        """A client sending ``token`` (default: the right one; ``""``: no Authorization)."""
        token = self.token if token is None else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **options)


@pytest.fixture
def served(store, monkeypatch) -> Iterator:
    """``served(runner="async"|"recording", **create_app options) -> Api``; stopped after."""
    # Workers import this checkout, and run the fake backend unless a test asks otherwise.
    monkeypatch.setenv("PYTHONPATH", worker_env()["PYTHONPATH"])
    paths = app_paths()
    AppSettings(task=TaskParams(backend="fake")).save(paths)
    repo, artefacts = store
    servers: list[ThreadedServer] = []

    def start(runner: str = "async", **options) -> Api:
        task_runner = (AsyncTaskRunner(repo, artefacts, slots=1, poll_interval_s=0.5)
                       if runner == "async" else RecordingRunner())
        lifespan = task_runner.running if runner == "async" else None
        tokens = TokenStore(paths.config)
        app = create_app(repo=repo, artefacts=artefacts, runner=task_runner,
                         token=tokens.current, settings=lambda: AppSettings.load(paths),
                         lifespan=lifespan, **options)
        server = ThreadedServer(app)
        url = server.start("127.0.0.1", 0)
        servers.append(server)
        return Api(url, tokens.current(), repo, artefacts, task_runner)

    yield start
    for server in servers:
        server.stop()


def upload(client: httpx.Client, path, *, name: str | None = None, config: dict | None = None,
           ) -> httpx.Response:
    with open(path, "rb") as fh:
        files = {"file": (name or path.name, fh, "application/octet-stream")}
        data = {"config": json.dumps(config)} if config is not None else None
        return client.post("/tasks", files=files, data=data)


def sse_events(client: httpx.Client, task_id: str, **headers: str) -> list[dict]:
    """Every event of the task's stream, until the server ends it."""
    events = []
    with client.stream("GET", f"/tasks/{task_id}/stream", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[len("data: "):]))
    return events


@pytest.fixture
def serve_process(ambientpose_home) -> Iterator:
    """``serve_process(*args) -> (process, url, token)``: a real ``ambientpose serve``."""
    processes: list[subprocess.Popen] = []

    def start(*args: str) -> tuple[subprocess.Popen, str, str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "ambientpose_desktop", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=worker_env())
        processes.append(process)
        url = token = ""
        for line in process.stdout:
            if line.startswith("AmbientPose API at "):
                url = line.split()[3]
            elif line.startswith("token: "):
                token = line.split()[1]
                break
        assert url and token, process.stderr.read() if process.poll() is not None else ""
        return process, url, token

    yield start
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stdout.close()
        process.stderr.close()
