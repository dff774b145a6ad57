"""The window hosting the real embedded server: a task submitted over HTTP appears in the
window's table and runs in the window's QProcess runner."""

from __future__ import annotations

import httpx
import pytest

from ambientpose_desktop.core.tasks import TaskStatus
from tests.conftest import media_path

pytest.importorskip("fastapi", reason="the server extra is not installed")


def test_remote_task_runs_in_the_window(make_window, qtbot):
    from ambientpose_desktop.cli.gui import _server_factory
    from tests.server.conftest import upload

    make_server = _server_factory()
    assert make_server is not None
    window = make_window(server=lambda: make_server(window.repo, window.artefacts, window.runner,
                                                    lambda: window.settings))
    window.settings.save()  # the server reads the window's settings: fake backend
    server = window.server_menu._built()
    url = server.start(port=0)  # a free port; the menu's Start uses the default one
    window.server_menu.refresh()
    assert window.server_menu.status_action.text() == f"Serving at {url}"
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {server.token}"},
                      timeout=30) as client:
        with qtbot.waitSignal(window.runner.taskFinished, timeout=60_000) as finished:
            response = upload(client, media_path("videos/mmpose_demo.mp4"))
            assert response.status_code == 201
        task_id = response.json()["id"]
        assert finished.args == [task_id, "SUCCESS"]
        qtbot.waitUntil(lambda: window.model.row_of(task_id) is not None
                        and window.model.task_at(window.model.row_of(task_id)).status
                        == TaskStatus.SUCCESS)
        assert client.get(f"/tasks/{task_id}").json()["status"] == "SUCCESS"
    window.close()
    assert server.url is None
