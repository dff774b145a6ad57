"""Schema migrations: a database of the release before them opens upgraded, every task intact.

``data/tasks-v0.sqlite3`` was written by the store of main at 1d209bd, before migrations
existed (schema version 0, ``PRAGMA user_version`` never set), with a short script that used
that release's ``TaskRepository`` as the app does: four tasks created with fixed ids
``a…01``-``a…04`` were claimed in turn by runner ``labpc:4242`` and given worker pid 31337 and
an ``output_dir``; then ``a…01`` got progress 12/50 and metrics ``{"fps": 3.5}`` (left
RUNNING), ``a…02`` progress 240/240 and became SUCCESS with metrics, ``a…03`` progress 7/100 and
became FAILED with an error, ``a…04`` CANCELED with error "canceled"; then ``a…05`` was created
(PENDING, fake backend, custom params and a backend option) and ``a…06`` created and CANCELED.
Last, the engine was disposed and the WAL checkpointed so that the file stands alone.
``EXPECTED`` is that script's result, read back from the file with plain ``sqlite3``.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ambientpose_desktop.core.errors import NewerDatabase
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.store import make_engine
from ambientpose_desktop.store.repository import TaskRepository
from ambientpose_desktop.store.schema import SCHEMA_VERSION
from tests.pipeline.worker_helpers import worker_env

OLD_DATABASE = Path(__file__).parent / "data" / "tasks-v0.sqlite3"
# The parameters as release 0.1.0 stored them: a literal, so new parameters added since (which
# rows of old databases lack) do not change what is expected of the file.
PARAMS = {"backend": "embedded", "device": "auto", "conf": 0.25, "imgsz": 640,
          "max_frames": None, "overlay_video": False, "frames_jpeg": False,
          "backend_options": {}}


def _id(n: int) -> str:
    return f"a{n:031d}"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


EXPECTED = {
    _id(1): dict(filename="running.mp4", input_path="/lab/videos/running.mp4",
                 status=TaskStatus.RUNNING, params={**PARAMS, "device": "cpu", "max_frames": 50},
                 created_at=_at("2026-12-01 22:49:23.346223"),
                 updated_at=_at("2026-12-01 22:49:23.367895"),
                 started_at=_at("2026-12-01 22:49:23.356942"), finished_at=None,
                 progress_done=12, progress_total=50, metrics={"fps": 3.5}, error=None,
                 worker_pid=31337, runner_id="labpc:4242", output_dir=f"/lab/results/{_id(1)}"),
    _id(2): dict(filename="séance 1.mp4", input_path="/lab/videos/séance 1.mp4",
                 status=TaskStatus.SUCCESS, params={**PARAMS, "overlay_video": True},
                 created_at=_at("2026-12-01 22:49:23.350388"),
                 updated_at=_at("2026-12-01 22:49:23.370132"),
                 started_at=_at("2026-12-01 22:49:23.361856"),
                 finished_at=_at("2026-12-01 22:49:23.370115"),
                 progress_done=240, progress_total=240,
                 metrics={"fps": 11.25, "persons": 3, "tracks": 4, "elapsed_s": 21.3},
                 error=None, worker_pid=None, runner_id="labpc:4242",
                 output_dir=f"/lab/results/{_id(2)}"),
    _id(3): dict(filename="failed.mp4", input_path="/lab/videos/failed.mp4",
                 status=TaskStatus.FAILED, params={**PARAMS, "frames_jpeg": True},
                 created_at=_at("2026-12-01 22:49:23.351592"),
                 updated_at=_at("2026-12-01 22:49:23.372928"),
                 started_at=_at("2026-12-01 22:49:23.364103"),
                 finished_at=_at("2026-12-01 22:49:23.372914"),
                 progress_done=7, progress_total=100, metrics=None,
                 error="video is damaged after frame 7", worker_pid=None,
                 runner_id="labpc:4242", output_dir=f"/lab/results/{_id(3)}"),
    _id(4): dict(filename="stopped.mp4", input_path="/lab/videos/stopped.mp4",
                 status=TaskStatus.CANCELED, params=PARAMS,
                 created_at=_at("2026-12-01 22:49:23.352561"),
                 updated_at=_at("2026-12-01 22:49:23.374240"),
                 started_at=_at("2026-12-01 22:49:23.366045"),
                 finished_at=_at("2026-12-01 22:49:23.374227"),
                 progress_done=0, progress_total=0, metrics=None, error="canceled",
                 worker_pid=None, runner_id="labpc:4242", output_dir=f"/lab/results/{_id(4)}"),
    _id(5): dict(filename="pending.mp4", input_path="/lab/videos/pending.mp4",
                 status=TaskStatus.PENDING,
                 params={**PARAMS, "backend": "fake", "conf": 0.4, "imgsz": 320,
                         "backend_options": {"batch": 4}},
                 created_at=_at("2026-12-01 22:49:23.375032"),
                 updated_at=_at("2026-12-01 22:49:23.375045"), started_at=None,
                 finished_at=None, progress_done=0, progress_total=0, metrics=None,
                 error=None, worker_pid=None, runner_id=None, output_dir=None),
    _id(6): dict(filename="never run.mp4", input_path="/lab/videos/never run.mp4",
                 status=TaskStatus.CANCELED, params=PARAMS,
                 created_at=_at("2026-12-01 22:49:23.376023"),
                 updated_at=_at("2026-12-01 22:49:23.377147"), started_at=None,
                 finished_at=_at("2026-12-01 22:49:23.377132"), progress_done=0,
                 progress_total=0, metrics=None, error=None, worker_pid=None, runner_id=None,
                 output_dir=None),
}


@pytest.fixture
def old_database(tmp_path) -> Path:
    """A copy of the committed database (opening it writes its -wal/-shm beside it)."""
    path = tmp_path / "data" / "ambientpose.sqlite3"
    path.parent.mkdir()
    shutil.copy(OLD_DATABASE, path)
    return path


def _user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.close()
    return version


def _schema(path: Path) -> tuple[list, list]:
    with sqlite3.connect(path) as conn:
        columns = conn.execute("PRAGMA table_info(tasks)").fetchall()
        indexes = conn.execute("SELECT name, tbl_name, sql FROM sqlite_master "
                               "WHERE type = 'index' ORDER BY name").fetchall()
    conn.close()
    return columns, indexes


def test_old_database_opens_upgraded_with_every_task_and_field_intact(old_database):
    assert _user_version(old_database) == 0
    repo = TaskRepository(make_engine(old_database))
    tasks = {t.id: t for t in repo.list()}
    assert set(tasks) == set(EXPECTED)
    for task_id, fields in EXPECTED.items():
        found = {name: getattr(tasks[task_id], name) for name in fields}
        assert found == fields, task_id
        assert tasks[task_id].media_check is None
    assert repo.counts() == {TaskStatus.PENDING: 1, TaskStatus.RUNNING: 1,
                             TaskStatus.SUCCESS: 1, TaskStatus.FAILED: 1,
                             TaskStatus.CANCELED: 2}
    assert tasks[_id(5)].task_params.backend_options == {"batch": 4}
    # The new column works on the upgraded file, and reaches the public view.
    findings = {"ok": False, "frames": 240, "problems": ["timestamps go backwards at 12"]}
    repo.set_media_check(_id(2), findings)
    repo.close()
    again = TaskRepository(make_engine(old_database))
    assert again.get(_id(2)).media_check == findings
    assert again.get(_id(2)).to_public().media_check == findings
    assert again.get(_id(1)).to_public().media_check is None
    again.close()
    assert _user_version(old_database) == SCHEMA_VERSION


def test_fresh_database_gets_the_current_schema_directly(tmp_path):
    fresh = tmp_path / "fresh.sqlite3"
    TaskRepository(make_engine(fresh)).close()
    assert _user_version(fresh) == SCHEMA_VERSION
    columns, _ = _schema(fresh)
    assert "media_check" in [c[1] for c in columns]


def test_upgraded_and_fresh_databases_have_the_same_schema(old_database, tmp_path):
    TaskRepository(make_engine(old_database)).close()
    fresh = tmp_path / "fresh.sqlite3"
    TaskRepository(make_engine(fresh)).close()
    assert _schema(old_database) == _schema(fresh)


def test_newer_database_is_refused_in_one_line_and_left_untouched(old_database):
    with sqlite3.connect(old_database) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = old_database.read_bytes()
    with pytest.raises(NewerDatabase, match="newer AmbientPose"):
        make_engine(old_database)
    assert old_database.read_bytes() == before
    proc = subprocess.run([sys.executable, "-m", "ambientpose_desktop", "tasks"],
                          capture_output=True, text=True, timeout=60,
                          env=worker_env(AMBIENTPOSE_HOME=str(old_database.parent.parent)))
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "newer AmbientPose" in proc.stderr
    assert str(old_database) in proc.stderr
    assert old_database.read_bytes() == before


OPEN_AND_COUNT = """
import sys
from ambientpose_desktop.store import make_engine
from ambientpose_desktop.store.repository import TaskRepository
repo = TaskRepository(make_engine(sys.argv[1]))
print(len(repo.list()), repo.get(sys.argv[2]).media_check)
repo.close()
"""


def test_processes_opening_an_old_database_at_once_upgrade_it_once(old_database):
    # Hold the write lock while they start, so that all of them reach the upgrade together:
    # one upgrades, the others wait for it and then find nothing left to do.
    blocker = sqlite3.connect(old_database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    processes = [subprocess.Popen([sys.executable, "-c", OPEN_AND_COUNT, str(old_database),
                                   _id(3)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=worker_env()) for _ in range(3)]
    time.sleep(3.0)
    assert all(p.poll() is None for p in processes), "they must wait for the lock"
    blocker.execute("ROLLBACK")
    blocker.close()
    results = [p.communicate(timeout=60) for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], results
    assert [out for out, _ in results] == ["6 None\n"] * 3
    upgraded = [err for _, err in results if "from schema version 0" in err]
    assert len(upgraded) == 1, results
    assert _user_version(old_database) == SCHEMA_VERSION
