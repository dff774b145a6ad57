"""`ambientpose run`: videos and folders of videos queued and run to the end, here or on a
Dask cluster of separate processes, with the same poses; exit codes; an interrupt cancels."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.store.artefacts import process_alive
from tests.conftest import media_path
from tests.pipeline.worker_helpers import worker_env
from tests.polling import wait_for

VIDEOS = ("mmpose_demo.mp4", "mmaction2_demo_skeleton.mp4")


def run_command(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ambientpose_desktop", "run", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=worker_env())


def _folder_of_videos(tmp_path: Path) -> Path:
    folder = tmp_path / "videos"
    folder.mkdir()
    for name in VIDEOS:
        shutil.copy(media_path(f"videos/{name}"), folder / name)
    return folder


def _results(stdout: str) -> dict[str, list]:
    """File name → its pose.json, from run's line per finished task."""
    results = {}
    for line in stdout.splitlines():
        status, name, folder = line.split("\t")[:3]
        assert status == "SUCCESS", line
        results[name] = json.loads(TaskFolder(Path(folder)).pose_json.read_text())
    return results


def test_a_folder_here_and_on_dask_give_the_same_poses(tmp_path, dask_processes):
    """On the cluster with ``--chunk-frames 30``: the 72-frame video runs in 3 chunks."""
    folder = _folder_of_videos(tmp_path)
    here = run_command(folder, "--backend", "fake")
    assert here.returncode == 0, here.stderr
    there = run_command(folder, "--backend", "fake", "--dask", dask_processes,
                        "--chunk-frames", "30")
    assert there.returncode == 0, there.stderr
    assert "running tasks on the Dask scheduler" in there.stderr
    local, remote = _results(here.stdout), _results(there.stdout)
    assert sorted(remote) == sorted(VIDEOS) and local == remote
    assert "all tasks" in there.stderr and "72/72" in there.stderr
    chunked = next(line.split("\t")[2] for line in there.stdout.splitlines()
                   if VIDEOS[1] in line)
    summary = json.loads(TaskFolder(Path(chunked)).summary.read_text())
    assert summary["timings"]["chunks"] == 3


def test_exit_codes(tmp_path, store):
    failed = run_command(media_path("videos/mmpose_demo.mp4"), "--backend", "fake",
                         "--opt", "crash_at=1")
    assert failed.returncode == 1
    assert failed.stdout.startswith("FAILED\tmmpose_demo.mp4\t")
    assert "crashed at frame 1" in failed.stdout
    (tmp_path / "notes.txt").write_text("not a video")
    nothing = run_command(tmp_path / "notes.txt", tmp_path / "missing.mp4")
    assert nothing.returncode == 2
    assert "notes.txt: .txt files are not videos" in nothing.stderr
    assert "missing.mp4: does not exist" in nothing.stderr
    bad = run_command(media_path("videos/mmpose_demo.mp4"), "--conf", "2")
    assert bad.returncode == 2 and "--conf must be 0 to 1, not 2" in bad.stderr
    bad = run_command(media_path("videos/mmpose_demo.mp4"), "--chunk-frames", "-1")
    assert bad.returncode == 2 and "--chunk-frames: -1: 0 (never split) or more" in bad.stderr


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupt_cancels_the_tasks_and_stops_their_workers(store, signum, code):
    repo, _ = store
    process = subprocess.Popen(
        [sys.executable, "-m", "ambientpose_desktop", "run", "--backend", "fake", "--opt",
         "delay_s=0.5", str(media_path("videos/mmaction2_demo_skeleton.mp4")),
         str(media_path("videos/mmpose_demo.mp4"))],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=worker_env())
    try:
        running = wait_for(lambda: next((t for t in repo.list() if t.progress_done), None),
                           what="progress")
        process.send_signal(signum)
        out, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == code
    assert [t.status for t in repo.list()] == [TaskStatus.CANCELED] * 2
    assert out.count("CANCELED\t") == 2
    assert running.worker_pid and not process_alive(running.worker_pid)


def test_each_task_keeps_its_integrity_check(store, media_variants):
    repo, artefacts = store
    proc = run_command(media_variants["damaged"], media_path("videos/mmpose_demo.mp4"),
                       "--backend", "fake")
    # The worker stops at the damage (its own finding); the check says where and how much.
    assert proc.returncode == 1 and "FAILED\tdamaged.mp4" in proc.stdout, proc.stderr
    checks = {t.filename: t.media_check for t in repo.list()}
    assert checks["mmpose_demo.mp4"]["ok"] is True and checks["mmpose_demo.mp4"]["frames"] == 5
    damaged = checks["damaged.mp4"]
    assert damaged["ok"] is False and "damaged from frame" in damaged["problems"][0]
    for task in repo.list():
        saved = json.loads(TaskFolder(artefacts.task_dir(task.id)).media_check.read_text())
        assert saved == task.media_check
