"""The lifecycle's Dask executor on a real ``distributed.LocalCluster`` (two worker
processes): tasks run there as they do here, a worker killed mid-run costs a rerun and
nothing else, Cancel stops the process on the worker, one task per GPU of a worker; and on
``dask scheduler``/``dask worker`` processes that are not there yet at first."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal

import pytest

from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.runner.actions import cancel_task
from ambientpose_desktop.runner.dask_runner import executor_option, one_line, task_slots
from ambientpose_desktop.runner.dask_worker import WorkerJob, cuda_device, files_problem
from ambientpose_desktop.store.settings import AppSettings
from tests.conftest import media_path
from tests.dask_helpers import DaskProcesses, local_cluster, worker_processes
from tests.pipeline.worker_helpers import run_detect
from tests.polling import wait_for
from tests.runner.async_driver import AsyncDriver, Recorder

pytest.importorskip("distributed")

FAKE = TaskParams(backend="fake")


@pytest.fixture
def on_cluster(store, dask_cluster):
    """``on_cluster(**settings) -> (driver, recorder)``: serve's runner sending its tasks to
    the LocalCluster."""
    drivers = []

    def start(address: str = dask_cluster, **settings):
        recorder = Recorder()
        config = AppSettings(task=FAKE, **executor_option(address), **settings)
        drivers.append(AsyncDriver(store, config, recorder))
        return drivers[-1], recorder

    yield start
    for driver in drivers:
        driver.stop()


def _status(repo, task_id):
    return repo.get(task_id).status


def _reference(tmp_path, video: str, *args: str) -> list:
    out = tmp_path / f"local-{os.path.basename(video)}"
    proc = run_detect(media_path(video), "--output", out, *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads((out / "pose.json").read_text())


def _events(folder) -> list[str]:
    lines = TaskFolder(folder).events.read_text().splitlines()
    return [json.loads(line)["event"] for line in lines]


def test_tasks_run_on_the_cluster_as_they_do_here(on_cluster, store, tmp_path):
    repo, artefacts = store
    videos = ["videos/mmpose_demo.mp4", "videos/mmaction2_demo_skeleton.mp4"]
    tasks = [repo.create(media_path(v), FAKE) for v in videos]
    driver, recorder = on_cluster()
    for task in tasks:
        wait_for(lambda t=task: _status(repo, t.id).is_final, what="the tasks to end")
    for task, video in zip(tasks, videos, strict=True):
        row = repo.get(task.id)
        assert row.status == TaskStatus.SUCCESS, row.error
        assert row.worker_pid is None and row.progress_done == row.progress_total > 0
        folder = artefacts.results_dir(row)
        assert json.loads(TaskFolder(folder).pose_json.read_text()) == _reference(
            tmp_path, video, "--backend", "fake")
        assert _events(folder).count("started") == 1 and _events(folder)[-1] == "finished"
        assert any("running on Dask worker tcp://127.0.0.1:" in m
                   for m in recorder.logs(task.id))
    message, ok = recorder.statuses[0]
    assert ok and message.startswith("running tasks on the Dask scheduler at tcp://127.0.0.1:")


def test_a_worker_killed_mid_run_costs_a_rerun_and_nothing_else(on_cluster, store, tmp_path,
                                                                  dask_cluster):
    from distributed import Client

    repo, artefacts = store
    video = "videos/mmaction2_demo_skeleton.mp4"
    task = repo.create(media_path(video), TaskParams(backend="fake",
                                                     backend_options={"delay_s": 0.05}))
    with Client(dask_cluster, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=60)
        pids = client.run(os.getpid)
        _, recorder = on_cluster()
        wait_for(lambda: recorder.frames(task.id) >= 8, what="progress")
        first = re.search(r"Dask worker (\S+) on", recorder.logs(task.id)[0]).group(1)
        os.kill(pids[first], signal.SIGKILL)
        wait_for(lambda: _status(repo, task.id).is_final, what="the rerun")
    row = repo.get(task.id)
    assert row.status == TaskStatus.SUCCESS, row.error
    assert (row.progress_done, row.progress_total) == (72, 72)
    assert any("was lost; running it again from the start" in m for m in recorder.logs(task.id))
    folder = artefacts.results_dir(row)
    events = _events(folder)
    assert events.count("started") == 1 and events.count("finished") == 1  # the rerun only
    frames = [json.loads(line)["frame"] for line in TaskFolder(folder).events.read_text()
              .splitlines() if '"progress"' in line]
    assert frames == sorted(frames) and frames[-1] == 72
    assert json.loads(TaskFolder(folder).pose_json.read_text()) == _reference(
        tmp_path, video, "--backend", "fake")
    assert worker_processes(task.id) == []  # the killed worker's process died with it


def test_cancel_stops_the_process_on_the_worker(on_cluster, store):
    repo, _ = store
    task = repo.create(media_path("videos/mmaction2_demo_skeleton.mp4"),
                       TaskParams(backend="fake", backend_options={"delay_s": 0.3}))
    driver, recorder = on_cluster()
    wait_for(lambda: recorder.frames(task.id) > 0, what="progress")
    assert worker_processes(task.id)
    assert cancel_task(repo, driver.runner, task.id)
    wait_for(lambda: _status(repo, task.id).is_final, timeout=20, what="the cancel")
    assert _status(repo, task.id) == TaskStatus.CANCELED
    wait_for(lambda: not worker_processes(task.id), timeout=10, what="the process to end")


def test_a_worker_that_cannot_see_the_input_fails_the_task_naming_both(on_cluster, store,
                                                                       tmp_path):
    repo, _ = store
    video = tmp_path / "gone.mp4"
    shutil.copy(media_path("videos/mmpose_demo.mp4"), video)
    task = repo.create(video, FAKE)
    video.unlink()  # as on a worker without this computer's filesystem
    on_cluster()
    wait_for(lambda: _status(repo, task.id).is_final, what="the task to end")
    error = repo.get(task.id).error
    assert repo.get(task.id).status == TaskStatus.FAILED
    assert f"cannot read the input {video}" in error and "Dask worker tcp://127.0.0.1:" in error
    assert "shared filesystem" in error


def test_a_scheduler_down_leaves_tasks_queued_and_one_lost_puts_them_back(store,
                                                                          monkeypatch):
    """Unreachable at first: a message, the task stays PENDING, and runs once the scheduler
    is up. Lost mid-run: the task goes back in the queue and its process on the worker
    stops, nothing left running."""
    from ambientpose_desktop.runner import dask_runner

    monkeypatch.setattr(dask_runner, "CONNECT_TIMEOUT_S", 1.0)
    monkeypatch.setattr(dask_runner, "RETRY_S", 0.5)
    repo, _ = store
    task = repo.create(media_path("videos/mmpose_demo.mp4"), FAKE)
    cluster = DaskProcesses()
    recorder = Recorder()
    driver = AsyncDriver(store, AppSettings(task=FAKE, **executor_option(cluster.address)),
                         recorder)
    try:
        wait_for(lambda: recorder.statuses, what="a word from the runner")
        message, ok = recorder.statuses[0]
        assert not ok and message.startswith(f"cannot reach the Dask scheduler at "
                                              f"{cluster.address}: ")
        assert message.endswith("tasks stay queued, trying again every 0.5 s")
        assert _status(repo, task.id) == TaskStatus.PENDING
        cluster.scheduler().worker()
        wait_for(lambda: _status(repo, task.id).is_final, timeout=90, what="the task")
        assert _status(repo, task.id) == TaskStatus.SUCCESS
        assert recorder.statuses[-1][1] and "1 worker, 1 task" in recorder.statuses[-1][0]

        slow = repo.create(media_path("videos/mmaction2_demo_skeleton.mp4"), TaskParams(
            backend="fake", backend_options={"delay_s": 0.2}))
        driver.runner.wake()
        wait_for(lambda: recorder.frames(slow.id) > 0, what="progress")
        cluster.processes[0].kill()  # the scheduler
        wait_for(lambda: _status(repo, slow.id) == TaskStatus.PENDING, what="the requeue")
        wait_for(lambda: not recorder.statuses[-1][1], what="the runner to say so")
        wait_for(lambda: not worker_processes(slow.id), timeout=30, what="the process to end")
    finally:
        driver.stop()
        cluster.stop()
    assert _status(repo, slow.id) == TaskStatus.PENDING and repo.get(slow.id).error is None


def test_one_task_per_gpu_of_a_worker(store):
    """A worker offering two GPUs (``--resources GPU=2``) runs two tasks at once, each on
    its own GPU (its ``CUDA_VISIBLE_DEVICES``)."""
    repo, _ = store
    slow = TaskParams(backend="fake", device="auto", backend_options={"delay_s": 0.2})
    tasks = [repo.create(media_path("videos/mmpose_demo.mp4"), slow) for _ in range(2)]
    recorder = Recorder()
    cluster = local_cluster(n_workers=1, threads=2, processes=False, resources={"GPU": 2})
    try:
        driver = AsyncDriver(store, AppSettings(
            task=FAKE, **executor_option(cluster.scheduler_address)), recorder)
        try:
            for task in tasks:
                wait_for(lambda t=task: _status(repo, t.id).is_final, what="the tasks")
        finally:
            driver.stop()
    finally:
        cluster.close()
    rows = [repo.get(task.id) for task in tasks]
    assert all(row.status == TaskStatus.SUCCESS for row in rows)
    assert max(r.started_at for r in rows) < min(r.finished_at for r in rows)  # at once
    gpus = sorted(re.search(r"GPU (\d)", recorder.logs(t.id)[0]).group(1) for t in tasks)
    assert gpus == ["0", "1"]
    assert "2 tasks at a time" in recorder.statuses[0][0]


@pytest.mark.slow
def test_the_embedded_model_gives_the_same_poses_on_the_cluster(on_cluster, store, tmp_path):
    repo, artefacts = store
    video = "videos/mmpose_demo.mp4"
    task = repo.create(media_path(video), TaskParams(backend="embedded", device="cpu"))
    on_cluster()
    wait_for(lambda: _status(repo, task.id).is_final, timeout=240, what="the task")
    row = repo.get(task.id)
    assert row.status == TaskStatus.SUCCESS, row.error
    assert json.loads(TaskFolder(artefacts.results_dir(row)).pose_json.read_text()) == \
        _reference(tmp_path, video, "--backend", "embedded", "--device", "cpu")


def test_slots_gpus_and_messages():
    workers = {"a": {"nthreads": 4, "resources": {}}, "b": {"nthreads": 1,
                                                          "resources": {"GPU": 2}}}
    assert task_slots(workers) == 6
    assert cuda_device(1, None) == "1" and cuda_device(1, "4,6") == "6"
    assert executor_option("slurm") == {"executor": "slurm", "dask_address": ""}
    assert executor_option(" tcp://h:8786 ") == {"executor": "dask",
                                                  "dask_address": "tcp://h:8786"}
    assert one_line(OSError("Timed out\n\nTraceback ...")) == "Timed out"


def test_files_problem_names_path_and_worker(tmp_path):
    video = tmp_path / "v.mp4"
    video.write_bytes(b"x")
    job = WorkerJob("k", "t", [], str(video), str(tmp_path / "missing"), False, 1.0)
    assert files_problem(job, "Dask worker W") == (
        f"Dask worker W does not see the results folder {tmp_path / 'missing'}; the "
        "cluster's workers must see this computer's files at the same paths (a shared "
        "filesystem)")
    job = WorkerJob("k", "t", [], str(video), str(tmp_path), False, 1.0)
    assert files_problem(job, "Dask worker W") is None
