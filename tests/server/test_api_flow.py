"""Submit a real video, follow its events, download its results: through real HTTP."""

import json

import pytest

from ambientpose_desktop.core.tasks import TaskStatus
from tests.server.conftest import sse_events, upload


def test_health_needs_no_token(served):
    api = served(runner="recording")
    response = api.client(token="").get("/health")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_upload_stream_and_download(served, media):
    api = served()
    video = media("videos/mmpose_demo.mp4")
    with api.client() as client:
        created = upload(client, video, config={"backend": "fake"})
        assert created.status_code == 201, created.text
        task_id = created.json()["id"]
        assert created.json()["status"] == "PENDING"

        events = sse_events(client, task_id)
        names = [e["event"] for e in events]
        assert names[0] == "started" and names[-1] == "finished"
        assert events[0]["total_frames"] == 5 and events[-1]["frames"] == 5

        task = client.get(f"/tasks/{task_id}").json()
        assert task["status"] == "SUCCESS" and task["filename"] == "mmpose_demo.mp4"
        assert task["progress"] == {"done": 5, "total": 5, "fraction": 1.0}
        assert task["params"]["backend"] == "fake"
        assert "input_path" not in task and "worker_pid" not in task

        pose = client.get(f"/files/{task_id}/pose.json")
        assert pose.status_code == 200
        assert pose.headers["content-type"] == "application/json"
        results = pose.json()
        assert {r["image_id"] for r in results} == {f"{i}.jpg" for i in range(5)}
        assert all(len(r["keypoints"]) == 17 * 3 and r["category_id"] == 1 for r in results)
        summary = client.get(f"/files/{task_id}/summary.json").json()
        assert summary["source"]["frame_count"] == 5

        # A reconnecting client resumes after the events it already has.
        resumed = sse_events(client, task_id, **{"Last-Event-ID": str(len(events) - 1)})
        assert resumed == events[-1:]


def test_list_filters_and_pages(served, media):
    api = served(runner="recording")
    video = media("videos/mmpose_demo.mp4")
    with api.client() as client:
        ids = [upload(client, video).json()["id"] for _ in range(3)]
        api.repo.claim_next()
        api.repo.set_status(ids[0], TaskStatus.FAILED, error="broken")
        page = client.get("/tasks", params={"limit": 2}).json()
        assert page["total"] == 3 and [t["id"] for t in page["items"]] == ids[::-1][:2]
        failed = client.get("/tasks", params={"status": "FAILED"}).json()
        assert [t["id"] for t in failed["items"]] == [ids[0]]
        assert failed["items"][0]["error"] == "broken"
        assert client.get("/tasks", params={"status": "NOPE"}).status_code == 422
        assert client.get("/tasks/0123456789abcdef").status_code == 404
    assert api.runner.wakes == 3


def test_config_is_validated(served, media):
    api = served(runner="recording")
    video = media("videos/mmpose_demo.mp4")
    with api.client() as client:
        for bad in ({"conf": 2}, {"backend": "nope"}, {"imgsz": "big"}, {"colour": "red"},
                    {"backend": "fake", "options": {"delay_s": "slow"}},
                    {"backend": "fake", "options": {"unknown": 1}},
                    {"backend": "embedded", "options": {"batch": -5}},
                    {"backend": "embedded", "options": {"max_det": -1}},
                    {"backend": "embedded", "imgsz": 4096, "options": {"batch": 64}},
                    {"conf": float("nan")}, {"max_frames": 0}, {"people": 0},
                    {"image_folder": "pile"}):
            response = upload(client, video, config=bad)
            assert response.status_code == 422, (bad, response.text)
        with open(video, "rb") as fh:
            not_json = client.post("/tasks", files={"file": ("a.mp4", fh)},
                                   data={"config": "{not json"})
        assert not_json.status_code == 422
        good = upload(client, video, config={"backend": "fake", "imgsz": 320, "people": 2,
                                             "options": {"delay_s": 0.5}})
        assert good.status_code == 201
    params = api.repo.get(good.json()["id"]).params
    assert params["imgsz"] == 320 and params["backend_options"] == {"delay_s": 0.5}
    assert params["people"] == 2
    assert api.repo.count() == 1
    assert sorted(p.name for p in api.artefacts.uploads.iterdir()) == [good.json()["id"]]


def test_failed_task_stream_ends_with_failed(served, media):
    api = served()
    video = media("videos/mmpose_demo.mp4")
    with api.client() as client:
        task_id = upload(client, video, config={"backend": "fake",
                                                "options": {"crash_at": 2}}).json()["id"]
        events = sse_events(client, task_id)
        assert events[-1]["event"] == "failed"
        task = client.get(f"/tasks/{task_id}").json()
        assert task["status"] == "FAILED" and task["error"] == events[-1]["error"]
        trace = client.get(f"/files/{task_id}/error.txt")
        assert trace.status_code == 200 and trace.headers["content-type"].startswith("text/plain")
        log = client.get(f"/files/{task_id}/events.jsonl")
        assert [json.loads(line)["event"] for line in log.text.splitlines()][-1] == "failed"


def test_stream_of_a_retried_task_shows_the_new_run(served, media):
    api = served()
    with api.client() as client:
        task_id = upload(client, media("videos/mmpose_demo.mp4"),
                         config={"backend": "fake", "options": {"crash_at": 1}}).json()["id"]
        assert sse_events(client, task_id)[-1]["event"] == "failed"
        # The window's Retry: fixed parameters, back in the queue.
        task = api.repo.get(task_id)
        params = task.task_params
        params.backend_options = {}
        api.repo.update_params(task_id, params)
        api.repo.retry(task_id)
        api.runner.wake()
        names = [e["event"] for e in sse_events(client, task_id)]
        assert names[0] == "started" and names[-1] == "finished" and "failed" not in names
        assert client.get(f"/files/{task_id}/error.txt").status_code == 404
        assert client.get(f"/tasks/{task_id}").json()["status"] == "SUCCESS"


@pytest.mark.slow
def test_default_embedded_model_through_the_api(served, media):
    api = served()
    with api.client() as client:
        # The default backend; a remote client may not point it at files on this machine.
        refused = upload(client, media("videos/mmpose_demo.mp4"),
                         config={"backend": "embedded", "options": {"model": "/etc/passwd"}})
        assert refused.status_code == 422 and "workstation" in refused.text
        created = upload(client, media("videos/mmpose_demo.mp4"),
                         config={"backend": "embedded", "options": {"iou": 0.6}})
        assert created.status_code == 201, created.text
        task_id = created.json()["id"]
        events = sse_events(client, task_id)
        assert events[0]["backend"] == "embedded" and events[-1]["event"] == "finished", events
        results = client.get(f"/files/{task_id}/pose.json").json()
    frames = {r["image_id"] for r in results}
    assert frames == {f"{i}.jpg" for i in range(5)}
    # The foreground woman is found in every frame, with one stable track id.
    best = [max((r for r in results if r["image_id"] == f), key=lambda r: r["score"])
            for f in sorted(frames)]
    assert all(r["score"] > 0.5 for r in best) and len({r["idx"] for r in best}) == 1


def test_openapi_describes_the_api(served):
    api = served(runner="recording")
    with api.client(token="") as anonymous:
        schema = anonymous.get("/openapi.json").json()
        assert anonymous.get("/docs").status_code == 200
    assert set(schema["paths"]) == {"/health", "/tasks", "/tasks/{task_id}",
                                    "/tasks/{task_id}/stream", "/files/{task_id}/{path}"}
    upload_body = schema["paths"]["/tasks"]["post"]["requestBody"]["content"]
    assert upload_body["multipart/form-data"]["schema"]["required"] == ["file"]
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
