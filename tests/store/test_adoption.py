"""Task folders on disk adopted back into the database: finished ones as SUCCESS, others FAILED."""

from __future__ import annotations

import json
import subprocess
import sys

from ambientpose_desktop.core.media_check import MediaCheck
from ambientpose_desktop.core.paths import app_paths
from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.store import open_store, recover_store
from ambientpose_desktop.store.adoption import INCOMPLETE, adopt_task_folders
from ambientpose_desktop.store.settings import AppSettings
from tests.pipeline.worker_helpers import worker_env
from tests.store.store_helpers import damage, place_task_folder, sound_database

DONE, STOPPED, ELSEWHERE, UPLOADED = ("d" * 32, "5" * 32, "e" * 32, "a1" * 16)
BROKE = "b" * 32


def _lay_out(finished_task_folder, tmp_path):
    """Finished and unfinished folders in the data folder and in a Results folder."""
    paths = app_paths().ensure()
    results = tmp_path / "Results"
    AppSettings(output_dir=str(results)).save(paths)
    place_task_folder(finished_task_folder, paths.tasks / DONE)
    place_task_folder(finished_task_folder, paths.tasks / STOPPED, finished=False)
    place_task_folder(finished_task_folder, results / ELSEWHERE)
    place_task_folder(finished_task_folder, results / UPLOADED, finished=False)
    place_task_folder(finished_task_folder, paths.tasks / BROKE, failed_after_summary=True)
    (paths.uploads / UPLOADED).mkdir()
    (paths.uploads / UPLOADED / "walk.mp4").write_bytes(b"uploaded video")
    place_task_folder(finished_task_folder, results / "my_video_pose")  # not a task id: not ours
    (paths.tasks / ("f" * 32)).write_text("a file, not a folder")
    return paths, results


def test_adoption_rebuilds_tasks_from_their_folders_and_is_idempotent(store, finished_task_folder,
                                                                      tmp_path):
    repo, artefacts = store
    paths, results = _lay_out(finished_task_folder, tmp_path)
    summary = Summary.read(TaskFolder(finished_task_folder).summary)
    check = MediaCheck(ok=True, frames=5, fps=5.0, codec="h264").to_dict()
    for task_id in (DONE, ELSEWHERE):  # the check's findings stay in the data folder
        folder = TaskFolder(paths.tasks / task_id)
        folder.path.mkdir(exist_ok=True)
        folder.media_check.write_text(json.dumps(check))

    adopted = adopt_task_folders(repo, paths)
    assert sorted(t.id for t in adopted) == sorted([DONE, STOPPED, ELSEWHERE, UPLOADED, BROKE])
    assert adopt_task_folders(repo, paths) == []
    assert repo.count() == 5

    done = repo.get(DONE)
    assert done.status == TaskStatus.SUCCESS and done.error is None
    assert done.input_path == summary.source.path and done.filename == "mmpose_demo.mp4"
    assert done.params == summary.params and done.task_params.backend == "fake"
    assert done.progress_done == done.progress_total == summary.frames_processed == 5
    assert done.metrics["persons"] == summary.persons and done.metrics["backend"] == "fake"
    assert done.metrics["fps"] > 0
    assert done.metrics["video_fps"] == 5.0
    assert done.finished_at >= done.started_at
    assert artefacts.results_dir(done) == paths.tasks / DONE
    assert artefacts.results_dir(repo.get(ELSEWHERE)) == results / ELSEWHERE
    assert repo.get(ELSEWHERE).status == TaskStatus.SUCCESS
    assert done.media_check == repo.get(ELSEWHERE).media_check == check
    assert repo.get(STOPPED).media_check is None

    stopped = repo.get(STOPPED)
    assert stopped.status == TaskStatus.FAILED and stopped.error == INCOMPLETE
    assert "incomplete" in stopped.error
    # A summary alone is no finished run: a video that broke part-way ends "failed".
    assert repo.get(BROKE).status == TaskStatus.FAILED
    uploaded = repo.get(UPLOADED)
    assert uploaded.status == TaskStatus.FAILED
    assert uploaded.input_path == str(paths.uploads / UPLOADED / "walk.mp4")
    assert uploaded.filename == "walk.mp4"
    repo.retry(STOPPED)  # an adopted task follows the usual life cycle
    assert repo.get(STOPPED).status == TaskStatus.PENDING


def test_known_tasks_are_left_alone(store, finished_task_folder):
    repo, _ = store
    paths = app_paths()
    task = repo.create("/lab/videos/walk.mp4")
    place_task_folder(finished_task_folder, paths.tasks / task.id)
    assert adopt_task_folders(repo, paths) == []
    assert repo.get(task.id).status == TaskStatus.PENDING


def test_recover_store_moves_the_damaged_file_aside_and_adopts(finished_task_folder, tmp_path):
    paths, _ = _lay_out(finished_task_folder, tmp_path)
    sound_database(paths.database)
    damage(paths.database, "data-page")
    damaged = paths.database.read_bytes()

    recovery = recover_store(paths)
    assert recovery.moved_to.read_bytes() == damaged
    assert recovery.moved_to.parent == paths.data
    assert "adopted 2 finished and 3 unfinished" in recovery.message()
    repo, _ = open_store(paths)
    assert {t.id for t in repo.list()} == {DONE, STOPPED, ELSEWHERE, UPLOADED, BROKE}
    repo.close()


def test_adopt_command(finished_task_folder, tmp_path):
    _lay_out(finished_task_folder, tmp_path)
    command = [sys.executable, "-m", "ambientpose_desktop", "tasks", "--adopt"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=60, env=worker_env())
    assert first.returncode == 0, first.stderr
    assert "adopted 5 task folder(s)" in first.stdout and DONE in first.stdout
    again = subprocess.run(command, capture_output=True, text=True, timeout=60, env=worker_env())
    assert "adopted 0 task folder(s)" in again.stdout
    assert again.stdout.count("SUCCESS") == 2 and again.stdout.count("FAILED") == 3
