"""POST /tasks naming a video instead of uploading it: a path under a folder the operator
allows (resolved, symlinks included), or a URL the server fetches under the upload limit;
both checked like an upload (name, then content)."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

from ambientpose_desktop.core.tasks import TaskStatus
from tests.polling import wait_for
from tests.server.conftest import upload


@pytest.fixture
def allowed(tmp_path, media) -> Path:
    """An allowed folder with a video, a renamed text file, and links out and in."""
    folder = tmp_path / "allowed"
    folder.mkdir()
    shutil.copy(media("videos/mmpose_demo.mp4"), folder / "walk.mp4")
    (folder / "notes.mp4").write_text("not a video at all")
    (folder / "notes.txt").write_text("not a video at all")
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(media("videos/mmpose_demo.mp4"), outside / "secret.mp4")
    (folder / "escape.mp4").symlink_to(outside / "secret.mp4")
    (folder / "escape_dir").symlink_to(outside)
    (folder / "inside.mp4").symlink_to(folder / "walk.mp4")
    return folder


@pytest.fixture
def web(allowed):
    """A local http server on 127.0.0.1 serving the allowed folder."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(allowed))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _post(client, **body):
    return client.post("/tasks", json=body)


def test_a_path_under_an_allowed_folder_runs(served, allowed):
    api = served(allowed_folders=[allowed])
    with api.client() as client:
        # A link that stays inside the folder is allowed; the task reads what it points at.
        response = _post(client, path=str(allowed / "inside.mp4"), config={"backend": "fake"})
        assert response.status_code == 201, response.text
        task_id = response.json()["id"]
        wait_for(lambda: api.repo.get(task_id).status.is_final, what="the task")
        task = api.repo.get(task_id)
        assert task.status == TaskStatus.SUCCESS, task.error
        assert task.input_path == str(allowed / "walk.mp4")  # resolved, not copied
        assert client.get(f"/files/{task_id}/pose.json").status_code == 200
    assert list(api.artefacts.uploads.iterdir()) == []


@pytest.mark.parametrize(("path", "status", "words"), [
    ("{outside}/secret.mp4", 403, "not inside a folder this server allows"),
    ("{allowed}/escape.mp4", 403, "not inside"),  # a symlink out of the folder
    ("{allowed}/escape_dir/secret.mp4", 403, "not inside"),
    ("{allowed}/../outside/secret.mp4", 403, "not inside"),
    ("{allowed}/../../../../etc/passwd", 403, "not inside"),
    ("{outside}/missing.mp4", 403, "not inside"),  # existence outside is never revealed
    ("{allowed}", 403, "not inside"),
    ("{allowed}/missing.mp4", 404, "is not a file"),
    ("{allowed}/notes.txt", 415, "not a video file name"),
    ("{allowed}/notes.mp4", 415, "notes.mp4"),  # a video's name, not its content
    ("walk.mp4", 422, "must be absolute"),
])
def test_paths_outside_or_not_videos_are_refused(served, allowed, path, status, words):
    api = served(runner="recording", allowed_folders=[allowed])
    target = path.format(allowed=allowed, outside=allowed.parent / "outside")
    with api.client() as client:
        response = _post(client, path=target)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert api.repo.count() == 0 and api.runner.wakes == 0


def test_without_allowed_folders_no_path_is_accepted(served, allowed):
    api = served(runner="recording")
    with api.client() as client:
        response = _post(client, path=str(allowed / "walk.mp4"))
    assert response.status_code == 403 and "--allow-path" in response.json()["detail"]


def test_bad_bodies_are_422(served, allowed):
    api = served(runner="recording", allowed_folders=[allowed])
    with api.client() as client:
        both = _post(client, path=str(allowed / "walk.mp4"), url="http://127.0.0.1/x.mp4")
        assert both.status_code == 422 and "exactly one" in both.json()["detail"]
        assert _post(client).status_code == 422
        assert _post(client, path=str(allowed / "walk.mp4"), extra=1).status_code == 422
        bad_config = _post(client, path=str(allowed / "walk.mp4"), config={"conf": 7})
        assert bad_config.status_code == 422
        not_json = client.post("/tasks", content=b"{", headers={
            "Content-Type": "application/json"})
        assert not_json.status_code == 422
        assert _post(client, url="ftp://127.0.0.1/walk.mp4").status_code == 422
    assert api.repo.count() == 0


def test_a_url_is_fetched_checked_and_run(served, web):
    api = served()
    with api.client() as client:
        response = _post(client, url=f"{web}/walk.mp4", config={"backend": "fake"})
        assert response.status_code == 201, response.text
        task_id = response.json()["id"]
        wait_for(lambda: api.repo.get(task_id).status.is_final, what="the task")
        task = api.repo.get(task_id)
        assert task.status == TaskStatus.SUCCESS and task.filename == "walk.mp4"
        assert Path(task.input_path).parent == api.artefacts.upload_dir(task_id)
        assert client.get(f"/files/{task_id}/pose.json").status_code == 200


@pytest.mark.parametrize(("name", "status", "words"), [
    ("walk.mp4", 413, "larger than the server's limit"),
    ("notes.mp4", 415, "notes.mp4"),
    ("notes.txt", 415, "not a video file name"),
    ("missing.mp4", 422, "HTTP 404"),
])
def test_urls_too_big_or_not_videos_are_refused(served, web, allowed, name, status, words):
    limit = os.path.getsize(allowed / "walk.mp4") - 1
    api = served(runner="recording", max_upload=limit)
    with api.client() as client:
        response = _post(client, url=f"{web}/{name}")
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert api.repo.count() == 0 and list(api.artefacts.uploads.iterdir()) == []


def test_uploads_still_work_beside_references(served, media, allowed):
    api = served(runner="recording", allowed_folders=[allowed])
    with api.client() as client:
        assert upload(client, media("videos/mmpose_demo.mp4")).status_code == 201
