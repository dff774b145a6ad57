"""The server as the window hosts it: its repository, its runner, started and stopped at will.
(The window itself is not needed: a runner double stands in for its QProcess runner.)"""

import socket
import threading

import httpx
import pytest

from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.core.paths import app_paths
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.server.embedded import EmbeddedServer
from ambientpose_desktop.store.settings import AppSettings
from tests.server.conftest import upload


class WindowRunner:
    """Like the window's runner: it runs what it claimed; cancel ends the task as CANCELED."""

    def __init__(self, repo) -> None:
        self.repo = repo
        self.woken = threading.Event()
        self.checked: list[str] = []

    def wake(self) -> None:
        self.woken.set()

    def check_input(self, task_id: str, input_path: str) -> None:
        self.checked.append(task_id)

    def cancel(self, task_id: str) -> bool:
        task = self.repo.get(task_id)
        if task.runner_id != "window":
            return False
        self.repo.set_status(task_id, TaskStatus.CANCELED)
        return True


@pytest.fixture
def embedded(store):
    repo, artefacts = store
    AppSettings(task=TaskParams(backend="fake")).save(app_paths())
    runner = WindowRunner(repo)
    server = EmbeddedServer(repo, artefacts, runner)
    yield server, runner
    server.stop()


def test_remote_task_reaches_the_window(embedded, store, media):
    embedded, runner = embedded
    repo, _ = store
    seen: list[tuple[str, str]] = []
    repo.subscribe(lambda task_id, kind: seen.append((task_id, kind)))
    assert embedded.url is None
    url = embedded.start(port=0)
    assert embedded.url == url and url.startswith("http://127.0.0.1:")
    assert embedded.start(port=0) == url  # already running: same server
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {embedded.token}"},
                      timeout=30) as client:
        response = upload(client, media("videos/mmpose_demo.mp4"))
        assert response.status_code == 201
        task_id = response.json()["id"]
        # The window's repository told its listeners (its table model), from the server thread.
        assert (task_id, "created") in seen
        assert repo.get(task_id).params["backend"] == "fake"  # the window's settings apply
        assert client.get("/tasks").json()["total"] == 1
        assert runner.woken.is_set()  # the window's runner was told to look at the queue

        repo.claim_next(runner_id="window")
        assert client.delete(f"/tasks/{task_id}").status_code == 204
        assert repo.find(task_id) is None


def test_regenerate_token_locks_out_old_clients(embedded):
    embedded, _ = embedded
    url = embedded.start(port=0)
    old = embedded.token
    new = embedded.regenerate_token()
    assert new != old and embedded.token == new
    assert httpx.get(f"{url}/tasks", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert httpx.get(f"{url}/tasks", headers={"Authorization": f"Bearer {new}"}).status_code == 200


def test_taken_port_is_a_readable_error_and_stop_restart(embedded):
    embedded, _ = embedded
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}"):
            embedded.start(port=port)
    assert embedded.url is None
    url = embedded.start(port=0)
    assert httpx.get(f"{url}/health").status_code == 200
    embedded.stop()
    assert embedded.url is None
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/health", timeout=2)
    again = embedded.start(port=0)
    assert httpx.get(f"{again}/health").status_code == 200
