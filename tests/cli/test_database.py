"""Every command that opens the task database: one line, a non-zero exit and the file kept when
it is damaged; ``--recover-db`` moves it aside and adopts the task folders."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ambientpose_desktop.core.paths import app_paths
from tests.pipeline.worker_helpers import worker_env
from tests.store.store_helpers import KINDS, damage, place_task_folder, sound_database

FINISHED = "d" * 32


def ambientpose(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ambientpose_desktop", *args],
                          capture_output=True, text=True, timeout=60, env=worker_env())


def _damaged(kind: str):
    database = app_paths().ensure().database
    sound_database(database)
    damage(database, kind)
    return database


@pytest.mark.parametrize("kind", KINDS)
def test_tasks_on_a_damaged_database_says_so_in_one_line(ambientpose_home, kind):
    database = _damaged(kind)
    before = None if database.is_dir() else database.read_bytes()
    proc = ambientpose("tasks")
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: the task database {database} is damaged (")
    assert "--recover-db" in proc.stderr
    assert database.is_dir() if before is None else database.read_bytes() == before


def test_export_of_a_task_id_on_a_damaged_database_says_so_in_one_line(ambientpose_home,
                                                                      tmp_path):
    _damaged("data-page")
    proc = ambientpose("export", FINISHED, "-o", str(tmp_path / "out.json"))
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    assert "is damaged" in proc.stderr and not (tmp_path / "out.json").exists()


def test_recover_db_then_the_adopted_task_exports(ambientpose_home, finished_task_folder, tmp_path):
    database = _damaged("truncated")
    place_task_folder(finished_task_folder, app_paths().tasks / FINISHED)
    out = tmp_path / "out.json"
    proc = ambientpose("export", FINISHED, "-o", str(out), "--recover-db")
    assert proc.returncode == 0, proc.stderr
    assert "the damaged one was moved aside to" in proc.stderr
    assert "adopted 1 finished and 0 unfinished" in proc.stderr
    assert out.stat().st_size > 0
    assert len(list(database.parent.glob("ambientpose.sqlite3.damaged-*"))) == 1
    listed = ambientpose("tasks", "--recover-db")  # sound now: the flag does nothing
    assert listed.returncode == 0 and listed.stderr == ""
    assert FINISHED in listed.stdout and "SUCCESS" in listed.stdout
