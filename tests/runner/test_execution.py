"""The shared task-execution policy, fed like a runner feeds it."""

import json

from ambientpose_desktop.core.events import Canceled, Failed, Finished, Progress, Started
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.runner.command import detect_arguments, worker_program
from ambientpose_desktop.runner.execution import TaskExecution
from ambientpose_desktop.store.settings import AppSettings


def _running(store, tmp_path):
    repo, _ = store
    task = repo.create(tmp_path / "v.mp4")
    repo.claim_next()
    return repo, task, TaskExecution(repo, task.id, tmp_path)


def _lines(*events):
    return "".join(e.to_json() + "\n" for e in events)


def test_success_records_progress_and_metrics(store, tmp_path):
    repo, task, run = _running(store, tmp_path)
    (tmp_path / "summary.json").write_text(json.dumps(
        {"tracks": 2, "keypoint_format": "coco17", "device": "cpu", "backend": "fake",
         "source": {"fps": 5.0}}))
    text = _lines(Started(task.id, 5, 5.0, "fake", "cpu"), Progress(5, 5, 9.0, 0.0),
                  Finished(5, 10, 0.5, ["pose.json"]))
    # arbitrary chunking, as pipes deliver it
    for i in range(0, len(text), 7):
        run.feed(text[i:i + 7])
    assert run.finish(0) == TaskStatus.SUCCESS
    done = repo.get(task.id)
    assert done.status == TaskStatus.SUCCESS
    assert (done.progress_done, done.progress_total) == (5, 5)
    assert done.metrics["persons"] == 10 and done.metrics["tracks"] == 2


def test_failed_event_message_is_kept(store, tmp_path):
    repo, task, run = _running(store, tmp_path)
    run.feed(_lines(Failed("notes.mp4 is not a video")))
    assert run.finish(2) == TaskStatus.FAILED
    assert repo.get(task.id).error == "notes.mp4 is not a video"


def test_crash_without_final_event(store, tmp_path):
    repo, task, run = _running(store, tmp_path)
    run.feed(_lines(Progress(3, 10, 1.0, 7.0)) + "Segmentation fault\n")
    assert run.finish(-9, crashed=True) == TaskStatus.FAILED
    error = repo.get(task.id).error
    assert "crashed without reporting a result" in error and "after 3 frames" in error


def test_cancel(store, tmp_path):
    repo, task, run = _running(store, tmp_path)
    run.feed(_lines(Canceled(frames=2)))
    assert run.finish(143) == TaskStatus.CANCELED


def test_command_line_from_params(tmp_path):
    params = AppSettings(backend_options={"fake": {"delay_s": 0.1}}).task_params(
        backend="fake", max_frames=3, overlay_video=True)
    args = detect_arguments("abc", tmp_path / "v.mp4", tmp_path / "out", params)
    assert args[:3] == ["detect", "--video", str(tmp_path / "v.mp4")]
    assert "--overlay-video" in args and args[-2:] == ["--opt", "delay_s=0.1"]
    assert args[args.index("--max-frames") + 1] == "3"
    folder_args = detect_arguments("abc", tmp_path, tmp_path / "out", params)
    assert folder_args[1] == "--image-dir"
    other = "/opt/alphapose/bin/python"
    assert worker_program(other) == [other, "-m", "ambientpose_desktop"]
