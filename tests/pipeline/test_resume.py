"""``ambientpose detect --resume``: a worker killed with SIGKILL part-way through a real clip
carries on from its last checkpoint and gives the result of an uninterrupted run; a
checkpoint it cannot trust is ignored and the run starts over."""

from __future__ import annotations

import json
import os

import pytest

from ambientpose_desktop.core.task_folder import TaskFolder
from tests.pipeline.resume_helpers import (
    assert_same_results,
    kill_detect_after_checkpoint,
    kill_detect_at,
)
from tests.pipeline.worker_helpers import events_of, run_detect

FAKE = ("--backend", "fake", "--opt", "delay_s=0.01", "--checkpoint-every", "20")
SHORT = ("--backend", "fake", "--opt", "delay_s=0.01", "--checkpoint-every", "10",
         "--max-frames", "60")


def _resumed_at(proc) -> int:
    started = next(e for e in events_of(proc.stdout) if e["event"] == "started")
    return started["resumed_at"]


def _logs(proc) -> list[str]:
    return [e["message"] for e in events_of(proc.stdout) if e["event"] == "log"]


def _uninterrupted(tmp_path_factory, args):
    from tests.conftest import media_path

    video = media_path("videos/openpose_video.avi")
    out = tmp_path_factory.mktemp("full") / "task"
    proc = run_detect(video, "--output", out, *args)
    assert proc.returncode == 0, proc.stderr
    assert not TaskFolder(out).checkpoint.exists()
    return video, out


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The fake backend over the whole 205-frame clip, never stopped."""
    return _uninterrupted(tmp_path_factory, FAKE)


@pytest.fixture(scope="module")
def uninterrupted_short(tmp_path_factory):
    """The same over its first 60 frames."""
    return _uninterrupted(tmp_path_factory, SHORT)


def _killed_at_half(video, out, args=FAKE, frame=100) -> int:
    kill_detect_at(frame, video, "--output", out, *args)
    folder = TaskFolder(out)
    assert folder.has_checkpoint() and not folder.has_results()
    assert not folder.pose_json.exists()  # nothing half-written under a final name
    return json.loads((folder.checkpoint / "manifest.json").read_text())["frames"]


def test_sigkill_at_half_then_resume_equals_an_uninterrupted_run(uninterrupted, tmp_path):
    video, expected = uninterrupted
    out = tmp_path / "task"
    saved = _killed_at_half(video, out)
    assert 70 <= saved <= 130  # the last interval's end before the kill
    proc = run_detect(video, "--output", out, *FAKE, "--resume")
    assert proc.returncode == 0, proc.stderr
    assert _resumed_at(proc) == saved
    assert f"resumed at frame {saved} from the checkpoint" in _logs(proc)
    progress = [e["frame"] for e in events_of(proc.stdout) if e["event"] == "progress"]
    assert progress[0] == saved and progress == sorted(progress)
    assert events_of(proc.stdout)[-1] == {**events_of(proc.stdout)[-1], "event": "finished",
                                          "frames": 205}
    assert_same_results(out, expected)
    assert not TaskFolder(out).checkpoint.exists()  # a finished run deletes its checkpoint
    assert (out / "events.jsonl").read_text().count("resumed at frame") == 1


def test_without_resume_a_run_starts_over(uninterrupted_short, tmp_path):
    video, expected = uninterrupted_short
    out = tmp_path / "task"
    _killed_at_half(video, out, SHORT, 30)
    proc = run_detect(video, "--output", out, *SHORT)
    assert proc.returncode == 0 and _resumed_at(proc) == 0
    assert_same_results(out, expected)


@pytest.mark.parametrize("damage", ["truncated part", "manifest garbage", "other params",
                                    "input changed"])
def test_a_checkpoint_that_cannot_be_trusted_is_ignored(uninterrupted_short, tmp_path, damage):
    video, expected = uninterrupted_short
    out = tmp_path / "task"
    _killed_at_half(video, out, SHORT, 30)
    checkpoint = TaskFolder(out).checkpoint
    args = SHORT
    if damage == "truncated part":
        part = sorted(checkpoint.glob("part-*.npz"))[-1]
        part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    elif damage == "manifest garbage":
        (checkpoint / "manifest.json").write_text('{"version": 1, "frames": ')
    elif damage == "other params":
        args = (*SHORT, "--conf", "0.3")
    else:
        copy = tmp_path / video.name
        copy.write_bytes(video.read_bytes())  # another file: its own size and mtime
        stat = video.stat()
        os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        video = copy
    proc = run_detect(video, "--output", out, *args, "--resume")
    assert proc.returncode == 0, proc.stderr
    assert _resumed_at(proc) == 0
    assert any(m.startswith("checkpoint ignored, starting over: ") for m in _logs(proc))
    if damage != "other params":
        assert_same_results(out, expected)


def test_embedded_default_backend_resumes_to_the_same_result(tmp_path, media):
    """The real model on a real street clip: same detections and ids, keypoints within
    rounding (batches may be cut differently after the restart)."""
    video = media("videos/openpose_video.avi")
    args = ("--max-frames", "24", "--checkpoint-every", "8")
    expected = tmp_path / "full"
    assert run_detect(video, "--output", expected, *args).returncode == 0
    out = tmp_path / "task"
    kill_detect_at(12, video, "--output", out, *args)
    assert TaskFolder(out).has_checkpoint()
    proc = run_detect(video, "--output", out, *args, "--resume")
    assert proc.returncode == 0, proc.stderr
    assert 8 <= _resumed_at(proc) < 24
    assert_same_results(out, expected, atol=0.05)


def test_a_checkpoint_that_cannot_be_written_never_fails_the_run(uninterrupted_short, tmp_path):
    video, expected = uninterrupted_short
    out = tmp_path / "task"
    out.mkdir()
    TaskFolder(out).checkpoint.write_text("in the way")  # a file where its folder goes
    proc = run_detect(video, "--output", out, *SHORT)
    assert proc.returncode == 0, proc.stderr
    assert any(m.startswith("cannot save a checkpoint (") for m in _logs(proc))
    assert_same_results(out, expected)


def test_killed_again_after_resuming_it_resumes_again(uninterrupted_short, tmp_path):
    video, expected = uninterrupted_short
    out = tmp_path / "task"
    first = _killed_at_half(video, out, SHORT, 20)
    kill_detect_after_checkpoint(first, out, video, *SHORT, "--resume")
    second = json.loads((TaskFolder(out).checkpoint / "manifest.json").read_text())["frames"]
    assert first < second < 60
    proc = run_detect(video, "--output", out, *SHORT, "--resume")
    assert proc.returncode == 0 and _resumed_at(proc) == second
    assert_same_results(out, expected)
