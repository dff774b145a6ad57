"""Seed §6: paths stay inside their task folder, uploads are limited and checked by content,
unexpected errors show an id and no traceback."""

import http.client
import os
from urllib.parse import urlsplit

import httpx
import pytest

from tests.server.conftest import upload

TRAVERSALS = [
    "../../../../etc/passwd",
    "%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/etc/passwd",
    "%2Fetc%2Fpasswd",
    "./../pose.json",
    "escape/secret.txt",  # a symlink inside the task folder pointing out of it
    "escape_file",
    ".",
    "",
]


def raw_get(url: str, path: str, token: str) -> int:
    """GET with the path exactly as written (httpx would normalise the dot segments away)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.putheader("Authorization", f"Bearer {token}")
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


def test_paths_outside_the_task_folder_are_404(served, tmp_path):
    api = served(runner="recording")
    task = api.repo.create(tmp_path / "v.mp4")
    folder = api.artefacts.task_dir(task.id, create=True)
    (folder / "pose.json").write_text("[]")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    os.symlink(outside, folder / "escape")
    os.symlink(outside / "secret.txt", folder / "escape_file")
    other = api.repo.create(tmp_path / "w.mp4")
    (api.artefacts.task_dir(other.id, create=True) / "pose.json").write_text("[1]")

    assert raw_get(api.url, f"/files/{task.id}/pose.json", api.token) == 200
    for path in TRAVERSALS:
        assert raw_get(api.url, f"/files/{task.id}/{path}", api.token) == 404, path
    for path in (f"/files/{task.id}/../{other.id}/pose.json",
                 f"/files/{task.id}/%2e%2e/{other.id}/pose.json",
                 f"/files/%2e%2e/{task.id}/pose.json", "/files/..%2f..%2fetc/passwd",
                 f"/files/{task.id}x/pose.json"):
        assert raw_get(api.url, path, api.token) in (404,), path


def test_oversize_upload_is_413_and_leaves_nothing(served, media):
    api = served(runner="recording", max_upload=100_000)
    video = media("videos/mmpose_demo.mp4")  # 204,863 bytes
    with api.client() as client:
        declared = upload(client, video)
        assert declared.status_code == 413 and "AMBIENTPOSE_MAX_UPLOAD_MB" in declared.text

        # Chunked, without Content-Length: cut off while streaming, the partial file removed.
        boundary = "ambientposeboundary"
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"big.mp4\"\r\nContent-Type: video/mp4\r\n\r\n").encode()

        def body():
            yield head
            data = video.read_bytes()
            for start in range(0, len(data), 16384):
                yield data[start:start + 16384]
            yield f"\r\n--{boundary}--\r\n".encode()

        streamed = client.post("/tasks", content=body(), headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert streamed.status_code == 413
    assert api.repo.count() == 0
    assert list(api.artefacts.uploads.iterdir()) == []
    assert api.runner.wakes == 0


@pytest.mark.parametrize("name", ["notes.mp4", "notes.txt", "clip.exe"])
def test_files_that_are_not_videos_are_415(served, tmp_path, name):
    api = served(runner="recording")
    fake = tmp_path / name
    fake.write_text("these are my notes, not a video\n" * 100)
    with api.client() as client:
        response = upload(client, fake)
    assert response.status_code == 415, response.text
    assert api.repo.count() == 0 and list(api.artefacts.uploads.iterdir()) == []


def test_malformed_uploads_are_client_errors(served, tmp_path, media):
    api = served(runner="recording")
    with api.client() as client:
        assert client.post("/tasks").status_code == 415
        # JSON names a video by path or url (test_submit_by_reference.py): not a file field.
        by_json = client.post("/tasks", json={"file": "x"})
        assert by_json.status_code == 422 and '"path"' in by_json.json()["detail"]
        no_file = client.post("/tasks", files={"config": (None, "{}")})
        assert no_file.status_code == 422
        empty = client.post("/tasks", files={"file": ("empty.mp4", b"")})
        assert empty.status_code == 415 and "empty" in empty.text
        broken = client.post("/tasks", content=b"--x\r\nnonsense", headers={
            "Content-Type": "multipart/form-data; boundary=x"})
        assert broken.status_code in (400, 422)
        video = media("videos/mmpose_demo.mp4").read_bytes()
        two = client.post("/tasks", files=[("file", ("a.mp4", video)), ("file", ("b.mp4", video))])
        assert two.status_code == 422
    assert api.repo.count() == 0 and list(api.artefacts.uploads.iterdir()) == []


def test_unexpected_error_is_500_with_an_id_and_no_traceback(served, monkeypatch):
    api = served(runner="recording")

    def broken(**_kwargs):
        raise RuntimeError("database exploded at /secret/path")

    monkeypatch.setattr(api.repo, "list", broken)
    with api.client() as client:
        response = client.get("/tasks")
    assert response.status_code == 500
    body = response.json()
    assert len(body["error_id"]) == 12 and body["error_id"] in body["detail"]
    assert "exploded" not in response.text and "Traceback" not in response.text


def test_server_binds_loopback_only_by_default(served):
    api = served(runner="recording")
    assert urlsplit(api.url).hostname == "127.0.0.1"
    with pytest.raises(httpx.ConnectError):
        httpx.get(api.url.replace("127.0.0.1", "127.0.0.2"), timeout=2)


def test_client_file_names_cannot_place_files(served, media):
    api = served(runner="recording")
    video = media("videos/mmpose_demo.mp4")
    with api.client() as client:
        for name, stored in (("../../../evil.mp4", "evil.mp4"),
                             ("C:\\Users\\x\\clip one.mp4", "clip one.mp4"),
                             ("/abs/path/$(rm -rf).mp4", "__rm -rf_.mp4")):
            response = upload(client, video, name=name)
            assert response.status_code == 201, response.text
            folder = api.artefacts.upload_dir(response.json()["id"])
            assert [p.name for p in folder.iterdir()] == [stored]
            assert api.repo.get(response.json()["id"]).filename == stored
