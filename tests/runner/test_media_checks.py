"""The integrity check of an added video: in a low-priority process of its own, stored with the
task and in its folder; an unreadable input fails its task at once, queued or running."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
from pathlib import Path

from ambientpose_desktop.core.media_check import MediaCheck
from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.runner.actions import add_task
from ambientpose_desktop.runner.command import WORKER_NICE
from ambientpose_desktop.runner.media_checks import MediaChecks
from ambientpose_desktop.runner.qt_runner import QtTaskRunner
from ambientpose_desktop.store.settings import AppSettings
from tests.polling import wait_for
from tests.runner.async_driver import AsyncDriver

WAIT_MS = 60_000
FAKE = TaskParams(backend="fake")


def check_process_nice() -> list[int]:
    """The nice value of each ``ambientpose check`` process this test process started."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().split(b"\0")
            if int(fields[1]) == os.getpid() and b"check" in cmdline:
                found.append(int(fields[16]))
    return found


def test_findings_are_stored_with_the_task_and_in_its_folder(store, media_variants):
    repo, artefacts = store
    task = repo.create(media_variants["damaged"], FAKE)
    seen, nice, done = [], [], threading.Event()

    def progress(task_id: str, fraction: float) -> None:
        seen.append((task_id, fraction))
        if not nice:  # the check runs now: at the workers' lower priority
            nice.extend(check_process_nice())

    checks = MediaChecks(repo, artefacts, on_progress=progress,
                         on_finished=lambda i, check: done.set())
    checks.submit(task.id, task.input_path)
    assert done.wait(60)
    checks.close()
    stored = repo.get(task.id).media_check
    assert stored["ok"] is False and stored["damaged_from_frame"] is not None
    on_disk = json.loads(TaskFolder(artefacts.task_dir(task.id)).media_check.read_text())
    assert on_disk == stored
    fractions = [f for i, f in seen if i == task.id]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert len(nice) == 1 and nice[0] >= WORKER_NICE  # leaves the window the CPU


def test_a_removed_task_is_not_checked(store, media):
    repo, artefacts = store
    gone = repo.create(media("videos/openpose_video.avi"), FAKE)
    kept = repo.create(media("videos/mmpose_demo.mp4"), FAKE)
    repo.delete(gone.id)
    finished, done = [], threading.Event()
    checks = MediaChecks(repo, artefacts,
                         on_finished=lambda i, check: (finished.append(i), done.set()))
    checks.submit(gone.id, gone.input_path)
    checks.submit(kept.id, kept.input_path)
    assert done.wait(60)
    checks.close()
    assert finished == [kept.id] and not artefacts.task_dir(gone.id).exists()


def test_window_row_news_and_a_queued_unreadable_task_fails_at_once(store, qtbot,
                                                                    media_variants, media):
    repo, artefacts = store
    runner = QtTaskRunner(repo, artefacts, AppSettings(task=FAKE))
    runner.set_paused(True)  # nothing starts: the check alone decides
    progress = []
    runner.checkProgress.connect(lambda i, f: progress.append(i))
    with qtbot.waitSignal(runner.taskFinished, timeout=WAIT_MS) as finished:
        task = add_task(repo, runner, media_variants["index_missing"], FAKE)
    assert finished.args == [task.id, "FAILED"]
    failed = repo.get(task.id)
    assert failed.status == TaskStatus.FAILED and "finalised" in failed.error
    assert failed.media_check["index_missing"] is True
    with qtbot.waitSignal(runner.checkFinished, timeout=WAIT_MS) as checked:
        good = add_task(repo, runner, media("videos/mmpose_demo.mp4"), FAKE)
    assert checked.args[0] == good.id and isinstance(checked.args[1], MediaCheck)
    assert checked.args[1].ok and repo.get(good.id).status == TaskStatus.PENDING
    assert good.id in progress
    runner.shutdown()


def test_a_running_task_whose_input_turns_out_unreadable_fails_with_the_checks_words(
        store, qtbot, media, tmp_path):
    repo, artefacts = store
    video = shutil.copy(media("videos/openpose_video.avi"), tmp_path / "street.mp4")
    slow = TaskParams(backend="fake", backend_options={"delay_s": 0.3})
    runner = QtTaskRunner(repo, artefacts, AppSettings(task=slow), cancel_grace_s=3.0)
    task = repo.create(video, slow)  # added without a check: the file was fine then
    with qtbot.waitSignal(runner.progress, timeout=WAIT_MS):
        runner.wake()
    open(video, "wb").close()  # the file is emptied under the running worker
    with qtbot.waitSignal(runner.taskFinished, timeout=WAIT_MS) as finished:
        runner.check_input(task.id, str(video))
    assert finished.args == [task.id, "FAILED"]
    assert repo.get(task.id).error == "the file is empty (0 bytes)"
    runner.shutdown()


def test_serve_runner_fails_a_queued_unreadable_task(store, media_variants, tmp_path):
    repo, _ = store
    driver = AsyncDriver(store, AppSettings(task=FAKE))
    try:
        driver.runner.lifecycle.paused = True
        task = add_task(repo, driver.runner, media_variants["audio_only"], FAKE)
        failed = wait_for(lambda: (t := repo.get(task.id)).status == TaskStatus.FAILED and t,
                          what="the task to fail")
        assert failed.error == "audio only: the file has no video stream"
    finally:
        driver.stop()
