"""Starting the app after a crash: a RUNNING task whose worker is gone becomes FAILED."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.store.settings import AppSettings
from tests.conftest import media_path


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_interrupted_task_is_failed_on_start_and_can_be_retried(store, tmp_path):
    repo, _ = store
    AppSettings(task=TaskParams(backend="fake"), queue_paused=True).save()
    task = repo.create(media_path("videos/mmpose_demo.mp4"),
                       TaskParams(backend="fake"))
    repo.claim_next(runner_id=f"{socket.gethostname()}:{_dead_pid()}")
    repo.set_worker(task.id, _dead_pid())
    shot = tmp_path / "shown.png"
    # The real app in its own process, as after a crash; it quits once its window is shown.
    env = dict(os.environ, AMBIENTPOSE_SCREENSHOT=str(shot), QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-m", "ambientpose_desktop"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr

    recovered = repo.get(task.id)
    assert recovered.status == TaskStatus.FAILED
    assert recovered.error.startswith("interrupted")
    assert shot.stat().st_size > 0
    repo.retry(task.id)
    assert repo.get(task.id).status == TaskStatus.PENDING
