"""One lifecycle, two adapters: the window's QProcess runner and serve's asyncio runner behave
the same in what used to differ between them (results folder, a task removed while running,
stopping, cancel grace)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.runner.actions import remove_task
from ambientpose_desktop.runner.async_runner import AsyncTaskRunner
from ambientpose_desktop.runner.lifecycle import CANCEL_GRACE_S
from ambientpose_desktop.runner.qt_runner import QtTaskRunner
from ambientpose_desktop.store.settings import AppSettings
from tests.conftest import media_path
from tests.pipeline.worker_helpers import worker_env
from tests.runner.async_driver import AsyncDriver

SLOW = TaskParams(backend="fake", backend_options={"delay_s": 0.2})


class _QtDriver:
    def __init__(self, store, settings: AppSettings) -> None:
        self.runner = QtTaskRunner(*store, settings)
        self.runner.start()

    def wait(self, qtbot, condition: Callable[[], bool]) -> None:
        qtbot.waitUntil(condition, timeout=60_000)

    def stop(self) -> None:
        self.runner.shutdown()


@pytest.fixture(params=["qt", "asyncio"])
def drive(request, store, monkeypatch, qtbot):
    monkeypatch.setenv("PYTHONPATH", worker_env()["PYTHONPATH"])
    drivers = []

    def make(settings: AppSettings | None = None):
        cls = _QtDriver if request.param == "qt" else AsyncDriver
        drivers.append(cls(store, settings or AppSettings()))
        return drivers[-1]

    yield make
    for driver in drivers:
        driver.stop()


def _status(repo, task_id: str) -> TaskStatus | None:
    task = repo.find(task_id)
    return task.status if task else None


def test_the_results_folder_of_the_settings_is_used(drive, store, tmp_path, qtbot):
    repo, artefacts = store
    task = repo.create(media_path("videos/mmpose_demo.mp4"), TaskParams(backend="fake"))
    driver = drive(AppSettings(output_dir=str(tmp_path / "results")))
    driver.wait(qtbot, lambda: _status(repo, task.id) == TaskStatus.SUCCESS)
    assert (tmp_path / "results" / task.id / "pose.json").is_file()
    assert artefacts.results_dir(repo.get(task.id)) == tmp_path / "results" / task.id


def test_a_task_removed_while_running_leaves_no_files(drive, store, qtbot):
    repo, artefacts = store
    task = repo.create(media_path("videos/openpose_video.avi"), SLOW)
    driver = drive()
    driver.wait(qtbot, lambda: repo.get(task.id).progress_done > 0)
    remove_task(repo, artefacts, driver.runner, task.id)
    driver.wait(qtbot, lambda: not driver.runner.running_ids())
    time.sleep(0.5)
    assert repo.find(task.id) is None
    assert not artefacts.task_dir(task.id).exists()


def test_stopping_puts_running_tasks_back_in_the_queue(drive, store, qtbot):
    repo, _ = store
    task = repo.create(media_path("videos/openpose_video.avi"), SLOW)
    driver = drive()
    driver.wait(qtbot, lambda: repo.get(task.id).progress_done > 0)
    driver.stop()
    row = repo.get(task.id)
    assert row.status == TaskStatus.PENDING and row.worker_pid is None and row.error is None


def test_both_adapters_share_one_cancel_grace(store):
    qt = QtTaskRunner(*store, AppSettings())
    asynchronous = AsyncTaskRunner(*store)
    assert qt.cancel_grace_s == asynchronous.lifecycle.cancel_grace_s == CANCEL_GRACE_S
