"""Many clients at once: every upload becomes exactly one task; two runners never share one."""

import asyncio
import json
import threading
import time

import httpx

from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.runner.async_runner import AsyncTaskRunner
from ambientpose_desktop.store.settings import AppSettings
from tests.pipeline.worker_helpers import worker_env

UPLOADS = 50


async def _upload_all(url: str, token: str, data: bytes) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=UPLOADS)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        return await asyncio.gather(*[
            client.post("/tasks", files={"file": (f"clip{i:02}.mp4", data, "video/mp4")},
                        data={"config": json.dumps({"backend": "fake"})})
            for i in range(UPLOADS)])


def test_fifty_concurrent_uploads_make_fifty_tasks(served, media):
    api = served()  # the real runner claims and runs tasks meanwhile: real contention
    data = media("videos/mmpose_demo.mp4").read_bytes()
    started = time.monotonic()
    responses = asyncio.run(_upload_all(api.url, api.token, data))
    elapsed = time.monotonic() - started
    print(f"\n{UPLOADS} concurrent uploads of {len(data)} bytes: {elapsed:.2f} s")
    assert [r.status_code for r in responses] == [201] * UPLOADS
    assert elapsed < 90
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == UPLOADS

    tasks = api.repo.list()
    assert {t.id for t in tasks} == ids and api.repo.count() == UPLOADS
    assert sorted(t.filename for t in tasks) == [f"clip{i:02}.mp4" for i in range(UPLOADS)]
    assert all(t.status in TaskStatus for t in tasks)
    for task in tasks:
        folder = api.artefacts.upload_dir(task.id)
        assert [p.stat().st_size for p in folder.iterdir()] == [len(data)]
        assert task.input_path == str(folder / task.filename)
    assert len(list(api.artefacts.uploads.iterdir())) == UPLOADS


def test_window_runner_and_serve_never_run_a_task_twice(store, media, serve_process,
                                                        monkeypatch):
    """An in-process runner (as the window has) and an ``ambientpose serve`` process share one
    database; the atomic claim gives every task to exactly one of them."""
    monkeypatch.setenv("PYTHONPATH", worker_env()["PYTHONPATH"])
    repo, artefacts = store
    # Slow enough (≥ 1 s each) that serve starts while the first runner is still busy.
    params = AppSettings(backend_options={"fake": {"delay_s": 0.5}}).task_params(
        backend="fake", max_frames=2)
    ids = [repo.create(media("videos/mmpose_demo.mp4"), params).id for _ in range(8)]
    here = AsyncTaskRunner(repo, artefacts, slots=2, poll_interval_s=0.1)
    done = threading.Event()

    async def run_here() -> None:
        async with here.running():
            while not done.is_set():
                await asyncio.sleep(0.05)

    thread = threading.Thread(target=asyncio.run, args=(run_here(),))
    thread.start()
    try:
        serve_process("--slots", "2")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and repo.count(status=TaskStatus.SUCCESS) < len(ids):
            time.sleep(0.1)
    finally:
        done.set()
        thread.join(60)
    tasks = {t.id: t for t in repo.list()}
    assert [tasks[i].status for i in ids] == [TaskStatus.SUCCESS] * len(ids)
    for task_id in ids:
        log = (artefacts.task_dir(task_id) / "events.jsonl").read_text().splitlines()
        assert [json.loads(line)["event"] for line in log].count("started") == 1
    runners = {tasks[i].runner_id for i in ids}
    print(f"\ntasks per runner: {[sum(tasks[i].runner_id == r for i in ids) for r in runners]}")
    assert len(runners) == 2 and here.runner_id in runners  # both really competed
