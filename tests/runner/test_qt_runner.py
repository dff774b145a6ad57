"""The QProcess runner with real worker processes (fake backend) on real media."""

from __future__ import annotations

import os
import signal
import threading

from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.runner.actions import cancel_task, remove_task, retry_task
from ambientpose_desktop.runner.command import WORKER_NICE
from ambientpose_desktop.runner.qt_runner import QtTaskRunner
from ambientpose_desktop.store.settings import AppSettings
from tests.conftest import media_path

WAIT_MS = 60_000


def _runner(store, **settings) -> QtTaskRunner:
    repo, artefacts = store
    return QtTaskRunner(repo, artefacts, AppSettings(task=TaskParams(backend="fake"), **settings),
                        cancel_grace_s=3.0)


def _add(store, video: str = "videos/mmpose_demo.mp4", **params):
    repo, _ = store
    return repo.create(media_path(video), TaskParams(backend="fake", **params))


def _slow(delay_s: float = 0.3) -> dict:
    return {"backend_options": {"delay_s": delay_s}}


def test_task_runs_to_success(store, qtbot):
    runner = _runner(store)
    task = _add(store)
    progress = []
    runner.progress.connect(lambda *args: progress.append(args))
    with qtbot.waitSignal(runner.taskFinished, timeout=WAIT_MS) as finished:
        runner.wake()
    assert finished.args == [task.id, "SUCCESS"]
    done = store[0].get(task.id)
    assert done.status == TaskStatus.SUCCESS and done.error is None
    assert (done.progress_done, done.progress_total) == (5, 5)
    assert (store[1].task_dir(task.id) / "pose.json").is_file()
    assert done.output_dir == str(store[1].task_dir(task.id))
    assert progress and progress[-1][0] == task.id


def test_cancel_mid_run_gives_canceled(store, qtbot):
    runner = _runner(store)
    task = _add(store, "videos/openpose_video.avi", **_slow())
    with qtbot.waitSignal(runner.progress, timeout=WAIT_MS):
        runner.wake()
    with qtbot.waitSignal(runner.taskFinished, timeout=WAIT_MS) as finished:
        assert cancel_task(store[0], runner, task.id)
    assert finished.args == [task.id, "CANCELED"]
    assert store[0].get(task.id).status == TaskStatus.CANCELED
    assert runner.running_ids() == []


def test_killed_worker_gives_failed_with_reason(store, qtbot):
    runner = _runner(store)
    task = _add(store, "videos/openpose_video.avi", **_slow())
    with qtbot.waitSignal(runner.progress, timeout=WAIT_MS):
        runner.wake()
    pid = store[0].get(task.id).worker_pid
    assert pid
    assert os.getpriority(os.PRIO_PROCESS, pid) >= WORKER_NICE  # leaves the window the CPU
    with qtbot.waitSignal(runner.failed, timeout=WAIT_MS) as failed:
        os.kill(pid, signal.SIGKILL)
    assert failed.args[0] == task.id and "crashed without reporting a result" in failed.args[1]
    row = store[0].get(task.id)
    assert row.status == TaskStatus.FAILED and row.worker_pid is None


def test_worker_error_message_is_kept_and_retry_runs_again(store, qtbot):
    runner = _runner(store)
    task = _add(store, backend_options={"crash_at": 2})
    with qtbot.waitSignal(runner.taskFinished, timeout=WAIT_MS):
        runner.wake()
    assert "fake backend crashed at frame 2" in store[0].get(task.id).error
    error_file = store[1].task_dir(task.id) / "error.txt"
    assert error_file.is_file()
    store[0].update_params(task.id, TaskParams(backend="fake"))
    with qtbot.waitSignal(runner.taskFinished, timeout=WAIT_MS) as finished:
        assert retry_task(store[0], runner, task.id)
    assert finished.args == [task.id, "SUCCESS"]
    assert not error_file.exists()  # each run starts with a fresh log and no old error


def test_worker_that_cannot_start_fails_clearly(store, qtbot, tmp_path):
    runner = _runner(store, worker_python=str(tmp_path / "no-such-python"))
    task = _add(store)
    with qtbot.waitSignal(runner.failed, timeout=WAIT_MS) as failed:
        runner.wake()
    assert "could not start the worker" in failed.args[1]
    assert store[0].get(task.id).status == TaskStatus.FAILED


def test_twenty_tasks_one_slot_each_runs_once(store, qtbot):
    runner = _runner(store, concurrency=1)
    tasks = [_add(store, max_frames=1) for _ in range(20)]
    started, overlap = [], []

    def on_started(task_id: str) -> None:
        started.append(task_id)
        overlap.append(len(runner.running_ids()))

    runner.taskStarted.connect(on_started)
    with qtbot.waitSignal(runner.idle, timeout=240_000):
        runner.wake()
    assert sorted(started) == sorted(t.id for t in tasks)
    assert max(overlap) == 1
    assert store[0].counts()[TaskStatus.SUCCESS] == 20


def test_cancel_pending_and_remove(store, qtbot):
    runner = _runner(store)
    runner.set_paused(True)
    task = _add(store)
    assert cancel_task(store[0], runner, task.id)
    assert store[0].get(task.id).status == TaskStatus.CANCELED
    assert not cancel_task(store[0], runner, task.id)
    folder = store[1].task_dir(task.id, create=True)
    remove_task(store[0], store[1], runner, task.id)
    assert store[0].find(task.id) is None and not folder.exists()


def test_paused_queue_starts_nothing(store, qtbot):
    runner = _runner(store)
    runner.set_paused(True)
    task = _add(store)
    runner.wake()
    qtbot.wait(300)
    assert store[0].get(task.id).status == TaskStatus.PENDING
    with qtbot.waitSignal(runner.taskFinished, timeout=WAIT_MS):
        runner.set_paused(False)


def test_wake_and_cancel_from_another_thread(store, qtbot):
    """The embedded server calls wake/cancel from its own thread."""
    runner = _runner(store)
    task = _add(store, "videos/openpose_video.avi", **_slow())
    with qtbot.waitSignal(runner.progress, timeout=WAIT_MS):
        threading.Thread(target=runner.wake).start()
    answers = []
    with qtbot.waitSignal(runner.taskFinished, timeout=WAIT_MS) as finished:
        thread = threading.Thread(target=lambda: answers.append(runner.cancel(task.id)))
        thread.start()
        thread.join()
    assert answers == [True] and finished.args == [task.id, "CANCELED"]
    assert runner.cancel(task.id) is False


def _refuse_final_states(repo, refuse: bool) -> None:
    """Make the database refuse every final state write, as a full disk does ("database or
    disk is full"), or take that back."""
    with repo.engine.begin() as conn:
        if refuse:
            conn.exec_driver_sql(
                "CREATE TRIGGER disk_full BEFORE UPDATE OF status ON tasks "
                "WHEN NEW.status IN ('SUCCESS', 'FAILED', 'CANCELED') "
                "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
        else:
            conn.exec_driver_sql("DROP TRIGGER disk_full")


def test_a_final_state_that_cannot_be_written_is_retried_and_said(store, qtbot):
    """Hardening 3: the worker ended, the write of its result failed: the task must not stay
    RUNNING while the runner lives, and the window is told."""
    repo, _ = store
    runner = _runner(store)
    task = _add(store, max_frames=2)
    _refuse_final_states(repo, True)
    with qtbot.waitSignal(runner.problem, timeout=WAIT_MS) as problem:
        runner.wake()
    assert problem.args[0] == task.id and "database or disk is full" in problem.args[1]
    assert repo.get(task.id).status == TaskStatus.RUNNING
    assert runner.running_ids() == []  # the slot is free: the worker is gone
    _refuse_final_states(repo, False)
    qtbot.waitUntil(lambda: repo.get(task.id).status == TaskStatus.SUCCESS, timeout=10_000)
