"""`ambientpose serve --dask ADDRESS` with `dask scheduler` and `dask worker` as processes of
their own: uploads run on the cluster with the poses of a local run, and DELETE stops the
worker's process there."""

from __future__ import annotations

import json
import time

import httpx

from ambientpose_desktop.core.tasks import TaskStatus
from tests.dask_helpers import worker_processes
from tests.pipeline.worker_helpers import run_detect
from tests.polling import wait_for
from tests.server.conftest import sse_events, upload


def test_serve_on_dask_runs_uploads_and_delete_stops_the_worker(serve_process, store, media,
                                                                dask_processes, tmp_path):
    process, url, token = serve_process("--dask", dask_processes)
    video = media("videos/mmpose_demo.mp4")
    repo, artefacts = store
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                      timeout=60) as client:
        quick = upload(client, video, config={"backend": "fake"}).json()["id"]
        events = sse_events(client, quick)
        assert [e["event"] for e in events][0] == "started" and events[-1]["event"] == "finished"
        assert client.get(f"/tasks/{quick}").json()["status"] == "SUCCESS"
        local = tmp_path / "local"
        assert run_detect(video, "--output", local, "--backend", "fake").returncode == 0
        assert client.get(f"/files/{quick}/pose.json").json() == json.loads(
            (local / "pose.json").read_text())

        slow = upload(client, media("videos/mmaction2_demo_skeleton.mp4"), config={
            "backend": "fake", "options": {"delay_s": 0.5}}).json()["id"]
        wait_for(lambda: repo.get(slow).progress_done > 0, what="progress on the cluster")
        assert worker_processes(slow)
        started = time.monotonic()
        assert client.delete(f"/tasks/{slow}").status_code == 204
        assert time.monotonic() - started < 10  # 72 frames x 0.5 s would be 36
        assert client.get(f"/tasks/{slow}").status_code == 404
    wait_for(lambda: not worker_processes(slow), timeout=10, what="the process to end")
    assert not artefacts.task_dir(slow).exists() and repo.find(slow) is None
    assert repo.get(quick).status == TaskStatus.SUCCESS and process.poll() is None
