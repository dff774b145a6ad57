"""Recovery at start: tasks of a dead runner fail as "interrupted"; its orphaned workers stop;
a live runner's tasks are left alone."""

from __future__ import annotations

import socket
import subprocess
import sys

from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.runner.command import detect_arguments, worker_program
from ambientpose_desktop.runner.recovery import recover_on_start
from tests.conftest import media_path


def _exited_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _running_task(store, runner_pid: int):
    repo, artefacts = store
    params = TaskParams(backend="fake", backend_options={"delay_s": 0.3})
    task = repo.create(media_path("videos/openpose_video.avi"), params)
    repo.claim_next(runner_id=f"{socket.gethostname()}:{runner_pid}")
    out = artefacts.task_dir(task.id, create=True)
    worker = subprocess.Popen(worker_program() + detect_arguments(task.id, task.input_path, out,
                                                                  task.task_params),
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert '"started"' in worker.stdout.readline()  # the worker is up and working
    repo.set_worker(task.id, worker.pid, str(out))
    return task, worker


def test_orphaned_worker_of_a_dead_runner_is_stopped_and_its_task_failed(store):
    repo, artefacts = store
    task, worker = _running_task(store, runner_pid=_exited_pid())
    try:
        recovered = recover_on_start(repo, artefacts)
        assert [t.id for t in recovered] == [task.id]
        assert worker.wait(10) == 143  # stopped by SIGTERM, cleanly
    finally:
        worker.kill()
    row = repo.get(task.id)
    assert row.status == TaskStatus.FAILED and row.error.startswith("interrupted")


def test_a_live_runners_task_is_left_alone(store):
    repo, artefacts = store
    live_runner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    task, worker = _running_task(store, runner_pid=live_runner.pid)
    try:
        assert recover_on_start(repo, artefacts, wait_s=0.5) == []
        assert worker.poll() is None
        assert repo.get(task.id).status == TaskStatus.RUNNING
    finally:
        worker.kill()
        live_runner.kill()


def test_an_orphan_that_finished_its_run_is_a_success(store):
    """``serve`` killed with -9: its worker ran on and finished; the restart must not call
    that task interrupted (hardening 4)."""
    repo, artefacts = store
    task = repo.create(media_path("videos/mmpose_demo.mp4"), TaskParams(backend="fake"))
    repo.claim_next(runner_id=f"{socket.gethostname()}:{_exited_pid()}")
    out = artefacts.task_dir(task.id, create=True)
    worker = subprocess.run(worker_program() + detect_arguments(task.id, task.input_path, out,
                                                                task.task_params),
                            capture_output=True, text=True, timeout=120)
    assert worker.returncode == 0, worker.stderr
    repo.set_worker(task.id, _exited_pid(), str(out))
    recovered = recover_on_start(repo, artefacts)
    row = repo.get(task.id)
    assert [t.id for t in recovered] == [task.id]
    assert row.status == TaskStatus.SUCCESS and row.error is None
    assert (row.progress_done, row.progress_total) == (5, 5)
    assert row.metrics["frames"] == 5 and row.metrics["persons"] == 10


def test_a_run_that_failed_or_stopped_half_way_is_not_a_success(store):
    repo, artefacts = store
    task = repo.create(media_path("videos/mmpose_demo.mp4"), TaskParams(backend="fake"))
    repo.claim_next(runner_id=f"{socket.gethostname()}:{_exited_pid()}")
    out = artefacts.task_dir(task.id, create=True)
    params = TaskParams(backend="fake", backend_options={"crash_at": 2})
    subprocess.run(worker_program() + detect_arguments(task.id, task.input_path, out, params),
                   capture_output=True, timeout=120)
    repo.set_worker(task.id, _exited_pid(), str(out))
    recover_on_start(repo, artefacts)
    assert repo.get(task.id).status == TaskStatus.FAILED
