"""DELETE cancels a running task (this runner's or another process's), then removes it."""

import time

from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.store.artefacts import process_alive
from tests.polling import wait_for
from tests.server.conftest import upload

SLOW = {"backend": "fake", "options": {"delay_s": 2.0}}


def test_delete_running_task_stops_its_worker(served, media):
    api = served()
    with api.client() as client:
        task_id = upload(client, media("videos/mmpose_demo.mp4"), config=SLOW).json()["id"]
        running = wait_for(lambda: (t := api.repo.get(task_id)).worker_pid
                           and (api.artefacts.task_dir(task_id) / "events.jsonl").exists() and t)
        assert running.status == TaskStatus.RUNNING
        started = time.monotonic()
        response = client.delete(f"/tasks/{task_id}")
        assert response.status_code == 204
        assert time.monotonic() - started < 8  # the worker stopped; 5 frames x 2 s would be 10
        assert not process_alive(running.worker_pid)
        assert client.get(f"/tasks/{task_id}").status_code == 404
        assert client.delete(f"/tasks/{task_id}").status_code == 404
    assert api.repo.find(task_id) is None
    assert not api.artefacts.task_dir(task_id).exists()
    assert not api.artefacts.upload_dir(task_id).exists()
    assert task_id not in api.runner.running_ids()


def test_delete_pending_and_finished_tasks(served, media, tmp_path):
    api = served(runner="recording")
    video = media("videos/mmpose_demo.mp4")
    with api.client() as client:
        pending = upload(client, video).json()["id"]
        assert client.delete(f"/tasks/{pending}").status_code == 204
        assert api.repo.count() == 0 and list(api.artefacts.uploads.iterdir()) == []
        done = api.repo.create(tmp_path / "v.mp4")
        api.repo.claim_next()
        api.repo.set_status(done.id, TaskStatus.SUCCESS)
        (api.artefacts.task_dir(done.id, create=True) / "pose.json").write_text("[]")
        assert client.delete(f"/tasks/{done.id}").status_code == 204
        assert not api.artefacts.task_dir(done.id).exists()
    assert api.runner.canceled == []  # nothing was running: nothing to cancel


def test_stream_of_a_deleted_task_ends(served, media):
    api = served()
    with api.client() as client, api.client() as other:
        task_id = upload(client, media("videos/mmpose_demo.mp4"), config=SLOW).json()["id"]
        names = []
        with client.stream("GET", f"/tasks/{task_id}/stream") as stream:
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    names.append(line[7:])
                    if names == ["started"]:
                        assert other.delete(f"/tasks/{task_id}").status_code == 204
        assert names[0] == "started" and names[-1] in ("canceled", "deleted")
