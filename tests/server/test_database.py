"""`ambientpose serve` and its task database: never healthy on a damaged file, recovered when
asked, and every task in the database file once it has stopped."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx
import pytest

from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.core.paths import app_paths
from ambientpose_desktop.store.settings import AppSettings
from tests.pipeline.worker_helpers import worker_env
from tests.server.conftest import upload
from tests.store.store_helpers import (
    damage,
    place_task_folder,
    sound_database,
    tasks_in_file_alone,
)

FINISHED, STOPPED = "d" * 32, "5" * 32


@pytest.mark.parametrize("kind", ["data-page", "random-bytes"])
def test_serve_does_not_start_on_a_damaged_database(ambientpose_home, kind):
    database = app_paths().ensure().database
    sound_database(database)
    damage(database, kind)
    before = database.read_bytes()
    proc = subprocess.run([sys.executable, "-m", "ambientpose_desktop", "serve", "--port", "0"],
                          capture_output=True, text=True, timeout=60, env=worker_env())
    assert proc.returncode == 1
    assert "AmbientPose API at" not in proc.stdout
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: the task database")
    assert "--recover-db" in proc.stderr and "Traceback" not in proc.stderr
    assert database.read_bytes() == before


def test_serve_recover_db_moves_it_aside_and_adopts_the_task_folders(serve_process,
                                                                     finished_task_folder):
    paths = app_paths().ensure()
    sound_database(paths.database)
    damage(paths.database, "data-page")
    place_task_folder(finished_task_folder, paths.tasks / FINISHED)
    place_task_folder(finished_task_folder, paths.tasks / STOPPED, finished=False)

    _, url, token = serve_process("--recover-db")
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                      timeout=30) as client:
        page = client.get("/tasks").json()
        assert {t["id"]: t["status"] for t in page["items"]} == {FINISHED: "SUCCESS",
                                                                 STOPPED: "FAILED"}
        assert client.get(f"/files/{FINISHED}/pose.json").status_code == 200
    assert len(list(paths.data.glob("ambientpose.sqlite3.damaged-*"))) == 1


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_every_task_is_in_the_database_file_after_serve_stops(serve_process, media, tmp_path,
                                                              stop):
    AppSettings(task=TaskParams(backend="fake")).save()
    process, url, token = serve_process()
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                      timeout=30) as client:
        ids = [upload(client, media("videos/mmpose_demo.mp4")).json()["id"] for _ in range(2)]
    process.send_signal(stop)  # while the first runs: stopping puts it back in the queue
    assert process.wait(30) in (0, -stop, 128 + stop)
    found = tasks_in_file_alone(app_paths().database, tmp_path / "copy")
    assert set(found) == set(ids)
    assert set(found.values()) <= {"SUCCESS", "PENDING"}  # run, or put back in the queue
