"""Seed §6: paths stay inside their task folder, uploads are limited and checked by content,
unexpected errors show an id and no traceback."""

import http.client
import os
import shutil
from urllib.parse import quote, urlsplit

import httpx
import pytest

from tests.server.conftest import sse_events, upload

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


def test_an_image_renamed_as_a_video_is_415(served, media, tmp_path):
    api = served(runner="recording")
    disguised = tmp_path / "astronaut.mp4"
    shutil.copy(media("images/skimage_astronaut.png"), disguised)
    with api.client() as client:
        response = upload(client, disguised)
    assert response.status_code == 415, response.text
    # The reason the window gives too (tests/gui/test_drop.py).
    assert response.json()["detail"] == "astronaut.mp4 is a still image (png), not a video"
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


def test_an_unexpected_error_logs_a_bounded_path(served, monkeypatch):
    from loguru import logger

    api = served(runner="recording")

    def broken(_task_id):
        raise RuntimeError("database exploded")

    monkeypatch.setattr(api.repo, "find", broken)
    messages: list[str] = []
    sink = logger.add(lambda m: messages.append(m.record["message"]), diagnose=False)
    try:
        with api.client() as client:
            assert client.get(f"/tasks/{'f' * 5000}").status_code == 500
    finally:
        logger.remove(sink)
    assert len(messages) == 1 and messages[0].endswith("… (5007 characters)")
    assert len(messages[0]) < 300


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


def hostile_requests(task_id: str) -> list[tuple[str, dict[str, bytes]]]:
    """Paths and headers that once reached an exception (ENAMETOOLONG, ``int()`` of digits
    that are not ASCII, or too many of them), and their relatives."""
    return [
        (f"/files/{task_id}/{'a' * 256}", {}),
        (f"/files/{task_id}/{quote('é' * 200)}.json", {}),
        (f"/files/{task_id}/{'/'.join(['b' * 200] * 30)}/pose.json", {}),
        (f"/files/{task_id}/pose.json%00.txt", {}),
        (f"/files/{task_id}/loop", {}),  # a symlink loop in the task folder
        (f"/files/{'a' * 5000}/pose.json", {}),
        (f"/tasks/{'f' * 5000}", {}),
        (f"/tasks/{'f' * 300}%00/stream", {}),
        (f"/tasks?limit={'9' * 5000}&offset={'9' * 5000}", {}),
        (f"/tasks?status={'x' * 5000}", {}),
        (f"/tasks/{task_id}/stream", {"Last-Event-ID": "²".encode("latin-1")}),
        (f"/tasks/{task_id}/stream", {"Last-Event-ID": b"1" * 4000}),
        (f"/tasks/{task_id}/stream", {"Last-Event-ID": b"1" * 5000}),
        (f"/tasks/{task_id}/stream", {"Last-Event-ID": b"-1"}),
    ]


def raw_request(url: str, path: str, token: str, headers: dict[str, bytes]) -> int:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.putheader("Authorization", f"Bearer {token}")
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_hostile_paths_and_headers_are_4xx_and_stay_out_of_the_log(serve_process, media,
                                                                   ambientpose_home):
    _, url, token = serve_process()
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                      timeout=60) as client:
        task_id = upload(client, media("videos/mmpose_demo.mp4"),
                         config={"backend": "fake"}).json()["id"]
        assert sse_events(client, task_id)[-1]["event"] == "finished"
        folder = next(ambientpose_home.rglob(f"tasks/{task_id}"))
        os.symlink("loop", folder / "loop")
        log = next(ambientpose_home.rglob("server.log"))
        before = log.stat().st_size
        answers = {path[:60] + repr(headers)[:40]: raw_request(url, path, token, headers)
                   for path, headers in hostile_requests(task_id)}
        assert client.get(f"/files/{task_id}/pose.json").status_code == 200
    assert {form: code for form, code in answers.items() if not 400 <= code < 500} == {}
    grown = log.stat().st_size - before
    assert grown < 2000, log.read_text()[-3000:]


def test_long_non_ascii_upload_names_are_shortened_to_fit(served, media):
    api = served(runner="recording")
    with api.client() as client:
        response = upload(client, media("videos/mmpose_demo.mp4"), name="é" * 250 + ".mp4")
    assert response.status_code == 201, response.text
    stored = api.repo.get(response.json()["id"]).filename
    assert stored.endswith("é.mp4") and len(stored.encode()) <= 200
