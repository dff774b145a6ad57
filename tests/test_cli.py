"""`ambientpose` subcommands that need no window."""

import subprocess
import sys

from ambientpose_desktop.cli import main
from ambientpose_desktop.core.tasks import TaskStatus
from tests.pipeline.worker_helpers import worker_env


def test_version():
    proc = subprocess.run([sys.executable, "-m", "ambientpose_desktop", "--version"],
                          capture_output=True, text=True, env=worker_env(), timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("ambientpose ")


def test_tasks_lists_the_queue(store, tmp_path, capsys):
    repo, _ = store
    assert main(["tasks"]) == 0
    assert "no tasks" in capsys.readouterr().out
    first = repo.create(tmp_path / "walk.mp4")
    repo.create(tmp_path / "run.mp4")
    repo.claim_next()
    repo.set_status(first.id, TaskStatus.FAILED, error="walk.mp4 is not a video")
    assert main(["tasks"]) == 0
    out = capsys.readouterr().out
    assert "walk.mp4" in out and "run.mp4" in out and "is not a video" in out
    assert main(["tasks", "--status", "pending"]) == 0
    out = capsys.readouterr().out
    assert "run.mp4" in out and "walk.mp4" not in out
