"""``serve`` killed with SIGKILL (and its worker with it) mid-task: started again, it puts
the task back in the queue and the task finishes by resuming from its checkpoint, with the
result of a run that was never stopped."""

from __future__ import annotations

import os
import signal
import time

import httpx

from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.core.tasks import TaskStatus
from tests.pipeline.resume_helpers import assert_same_results
from tests.server.conftest import sse_events, upload

CONFIG = {"backend": "fake", "checkpoint_every": 20, "options": {"delay_s": 0.02}}


def _client(url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _wait(predicate, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_serve_killed_mid_task_resumes_it_on_restart(serve_process, store, media):
    repo, artefacts = store
    video = media("videos/openpose_video.avi")
    process, url, token = serve_process()
    with _client(url, token) as client:
        reference = upload(client, video, config=CONFIG).json()["id"]
        assert sse_events(client, reference)[-1]["event"] == "finished"
        task = upload(client, video, config=CONFIG).json()["id"]
    _wait(lambda: repo.get(task).progress_done >= 100)
    worker = repo.get(task).worker_pid
    folder = TaskFolder(artefacts.results_dir(repo.get(task)))
    assert folder.has_checkpoint()
    process.send_signal(signal.SIGKILL)
    os.kill(worker, signal.SIGKILL)
    process.wait(10)
    assert repo.get(task).status == TaskStatus.RUNNING  # nobody was left to record anything

    process, url, token = serve_process()
    with _client(url, token) as client:
        events = sse_events(client, task)
        assert events[-1]["event"] == "finished"
        assert client.get(f"/tasks/{task}").json()["status"] == "SUCCESS"
    log = folder.events.read_text()
    assert log.count('"resumed at frame ') == 1
    started = next(e for e in events if e["event"] == "started")
    assert started["resumed_at"] >= 60
    assert_same_results(folder.path, artefacts.results_dir(repo.get(reference)))
    assert not folder.checkpoint.exists()
