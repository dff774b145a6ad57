"""GET /tasks/{id}/export over a real uvicorn: every format streams, the token is needed,
404/409/422 say what is wrong, and nothing is left in the temporary folder."""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest

from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.pipeline.export_formats import DEFAULT_NAMES


@pytest.fixture
def api_task(served, processed_task, tmp_path):
    """A served API (no runner) and a finished task whose results are a copy of the shared
    processed task."""
    api = served("recording")
    folder = shutil.copytree(processed_task, tmp_path / "results")
    task = api.repo.create(Summary.read(folder / "summary.json").source.path)
    api.repo.set_worker(task.id, None, output_dir=str(folder))
    return api, task.id, folder


def _leftovers() -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob("ambientpose-export-*"))


def test_export_streams_alphapose_and_csv(api_task):
    api, task_id, folder = api_task
    before = _leftovers()
    with api.client() as client:
        response = client.get(f"/tasks/{task_id}/export", params={"format": "alphapose"})
        assert response.status_code == 200, response.text
        assert response.json() == json.loads((folder / "pose.json").read_text())
        assert DEFAULT_NAMES["alphapose"] in response.headers["content-disposition"]
        raw = client.get(f"/tasks/{task_id}/export", params={"format": "csv", "layer": "raw"})
        assert raw.status_code == 200 and raw.headers["content-type"].startswith("text/csv")
        assert raw.text.startswith("frame,time_s,idx,score,nose_x")
    assert _leftovers() == before


def test_export_streams_slp_that_sleap_io_opens(api_task, tmp_path):
    sio = pytest.importorskip("sleap_io")
    api, task_id, folder = api_task
    with api.client() as client, client.stream(
            "GET", f"/tasks/{task_id}/export", params={"format": "slp"}) as response:
        assert response.status_code == 200
        out = tmp_path / "p.slp"
        with open(out, "wb") as fh:
            for chunk in response.iter_bytes():
                fh.write(chunk)
    labels = sio.load_file(str(out))
    assert sum(len(f.instances) for f in labels.labeled_frames) == len(
        json.loads((folder / "pose.json").read_text()))


def test_frames_jpeg_comes_as_a_zip(api_task):
    api, task_id, _ = api_task
    with api.client() as client:
        response = client.get(f"/tasks/{task_id}/export", params={"format": "frames-jpeg"},
                              timeout=120)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert sum(n.startswith("overlay_openpose_video/") and n.endswith(".jpg")
               for n in names) == 205


def test_export_errors_say_what_is_wrong(api_task, tmp_path):
    api, task_id, folder = api_task
    before = _leftovers()
    with api.client() as client:
        url = f"/tasks/{task_id}/export"
        assert client.get("/tasks/0123abcd/export", params={"format": "csv"}).status_code == 404
        assert client.get(url, params={"format": "xml"}).status_code == 422
        assert client.get(url, params={"format": "csv", "layer": "best"}).status_code == 422
        assert client.get(url).status_code == 422  # format is required
        missing = client.get(url, params={"format": "csv", "layer": "filtered"})
        assert missing.status_code == 409 and "no filtered results" in missing.json()["detail"]
        pending = api.repo.create(tmp_path / "v.mp4")
        assert client.get(f"/tasks/{pending.id}/export",
                          params={"format": "csv"}).status_code == 409
    with api.client(token="") as anonymous:
        assert anonymous.get(url, params={"format": "csv"}).status_code == 401
    assert _leftovers() == before
