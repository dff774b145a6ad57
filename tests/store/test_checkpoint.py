"""After a clean exit the database file alone holds every task: no row is left in the -wal.

Each test lets a real process write, end it the way a user does, then copies only
``ambientpose.sqlite3`` elsewhere and reads the tasks from that copy.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ambientpose_desktop.core.paths import app_paths
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.store import open_store
from tests.pipeline.worker_helpers import worker_env
from tests.store.store_helpers import tasks_in_file_alone

REPO = Path(__file__).resolve().parents[2]


WRITE_AND_VANISH = """
import os, sys
from ambientpose_desktop.store import open_store
repo, _ = open_store()
for i in range(int(sys.argv[1])):
    repo.create(f"/lab/videos/{i}.mp4")
os._exit(0)  # as a process that never closes its store
"""


def test_a_cli_command_leaves_every_task_in_the_file(ambientpose_home, tmp_path):
    env = worker_env()
    subprocess.run([sys.executable, "-c", WRITE_AND_VANISH, "20"], check=True, env=env,
                   timeout=60)
    database = app_paths().database
    assert Path(f"{database}-wal").stat().st_size > 0  # the rows are in the WAL now
    proc = subprocess.run([sys.executable, "-m", "ambientpose_desktop", "tasks", "--adopt"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert len(tasks_in_file_alone(database, tmp_path / "copy")) == 20


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _interrupted_task() -> str:
    """A task a crashed runner left RUNNING: the window marks it FAILED when it starts."""
    repo, _ = open_store()
    task = repo.create("/lab/videos/walk.mp4")
    repo.claim_next(runner_id=f"{socket.gethostname()}:{_dead_pid()}")
    repo.set_worker(task.id, _dead_pid())
    repo.close()
    return task.id


def test_the_window_leaves_every_task_in_the_file(ambientpose_home, tmp_path):
    task_id = _interrupted_task()
    database = app_paths().database
    assert tasks_in_file_alone(database, tmp_path / "before") == {task_id: "RUNNING"}
    env = worker_env(AMBIENTPOSE_SCREENSHOT=str(tmp_path / "shot.png"),
                     QT_QPA_PLATFORM="offscreen")  # quits by itself once its window is shown
    proc = subprocess.run([sys.executable, "-m", "ambientpose_desktop"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert tasks_in_file_alone(database, tmp_path / "after") == {task_id: "FAILED"}


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs Xvfb (xvfb-run)")
def test_the_window_closed_by_its_close_button_leaves_every_task_in_the_file(
        ambientpose_home, tmp_path):
    task_id = _interrupted_task()
    helper = REPO / "packaging" / "x11_window.py"
    script = (f'"{sys.executable}" -m ambientpose_desktop > app.log 2>&1 & pid=$!; '
              f'"{sys.executable}" "{helper}" shot AmbientPose shot.png --pid $pid '
              '--timeout 60 || exit 3; '
              f'"{sys.executable}" "{helper}" close AmbientPose || exit 4; '
              'wait $pid; echo "app exit $?"; cat app.log')
    proc = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", "bash", "-c",
                           script], cwd=tmp_path, capture_output=True, text=True, timeout=180,
                          env={**worker_env(), "QT_QPA_PLATFORM": "xcb"})
    assert proc.returncode == 0 and "app exit 0" in proc.stdout, proc.stdout + proc.stderr
    found = tasks_in_file_alone(app_paths().database, tmp_path / "after")
    assert found == {task_id: TaskStatus.FAILED.value}
    assert not os.path.exists(f"{app_paths().database}-wal") or \
        os.path.getsize(f"{app_paths().database}-wal") == 0
