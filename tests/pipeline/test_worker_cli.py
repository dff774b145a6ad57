"""`ambientpose detect` end to end with the fake backend: outputs, events, exit codes."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import av
import pytest

from ambientpose_desktop.core.results import read_alphapose
from tests.pipeline.worker_helpers import events_of, run_detect, worker_env


def test_video_outputs_and_events(media, tmp_path):
    out = tmp_path / "out"
    proc = run_detect(media("videos/mmpose_demo.mp4"), "--backend", "fake", "-o", out)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["source"]["frame_count"] == 5 and summary["source"]["fps"] == 5.0
    assert summary["keypoint_format"] == "coco17" and summary["backend"] == "fake"
    frames = read_alphapose(out / "pose.json", num_frames=5)
    assert all(len(f.persons) == 2 for f in frames)
    assert {p.idx for f in frames for p in f.persons} == {1, 2}  # tracked, numbered from 1
    stdout_events = events_of(proc.stdout)
    file_events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert stdout_events == file_events
    assert [e["event"] for e in stdout_events][0] == "started"
    assert stdout_events[-1]["event"] == "finished" and stdout_events[-1]["frames"] == 5
    assert "Traceback" not in proc.stderr


def test_mp4_named_avi_decodes_every_frame(media, tmp_path):
    proc = run_detect(media("videos/openpose_video.avi"), "--backend", "fake", "-o", tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["source"]["frame_count"] == 205 and summary["source"]["fps"] == 50.0
    assert len(summary["source"]["timestamps"]) == 205


def test_variable_frame_rate_timestamps_are_kept(media, tmp_path):
    proc = run_detect(media("videos/mmaction2_demo_skeleton.mp4"), "--backend", "fake",
                      "-o", tmp_path)
    assert proc.returncode == 0, proc.stderr
    ts = json.loads((tmp_path / "summary.json").read_text())["source"]["timestamps"]
    gaps = [b - a for a, b in zip(ts, ts[1:], strict=False)]
    assert len(ts) == 72
    assert max(gaps) > 3 * min(gaps)  # the 6-frame hole of this clip survives


def test_rendered_outputs_match_source(media, tmp_path):
    proc = run_detect(media("videos/mmpose_demo.mp4"), "--backend", "fake", "-o", tmp_path,
                      "--overlay-video", "--frames-jpeg")
    assert proc.returncode == 0, proc.stderr
    with av.open(str(tmp_path / "overlay.mp4")) as container:
        stream = container.streams.video[0]
        assert sum(1 for _ in container.decode(stream)) == 5
        assert float(stream.average_rate) == pytest.approx(5.0)
    assert len(list((tmp_path / "frames_mmpose_demo").glob("*.jpg"))) == 5
    assert len(list((tmp_path / "overlay_mmpose_demo").glob("*.jpg"))) == 5
    assert not list(tmp_path.glob(".*part*"))


def test_image_folder_natural_order_skips_non_images(media, tmp_path):
    src = tmp_path / "imgs"
    src.mkdir()
    for name, stem in [("img10.jpg", "785"), ("img2.jpg", "40083"), ("img1.jpg", "196141")]:
        shutil.copy(media(f"coco_val2017_mmpose/000000{stem:0>6}.jpg"), src / name)
    (src / "notes.txt").write_text("not an image")
    out = tmp_path / "out"
    proc = run_detect("--image-dir", src, "--backend", "fake", "-o", out)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["source"]["frame_names"] == ["img1.jpg", "img2.jpg", "img10.jpg"]
    assert any("notes.txt" in e.get("message", "") for e in events_of(proc.stdout))
    ids = {e["image_id"] for e in json.loads((out / "pose.json").read_text())}
    assert ids == {"img1.jpg", "img2.jpg", "img10.jpg"}


def test_path_with_spaces_and_non_ascii(media, tmp_path):
    folder = tmp_path / "dossier été ü"
    folder.mkdir()
    video = folder / "vidéo de test.mp4"
    shutil.copy(media("videos/mmpose_demo.mp4"), video)
    proc = run_detect(video, "--backend", "fake", "-o", folder / "résultats")
    assert proc.returncode == 0, proc.stderr
    assert (folder / "résultats" / "pose.json").exists()


def _bad(tmp_path, proc, code, words):
    assert proc.returncode == code, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for word in words:
        assert word in lines[0]


def test_zero_byte_file(tmp_path):
    video = tmp_path / "empty.mp4"
    video.write_bytes(b"")
    _bad(tmp_path, run_detect(video, "--backend", "fake", "-o", tmp_path / "o"), 2, ["empty"])


def test_text_file_renamed_mp4(tmp_path):
    video = tmp_path / "notes.mp4"
    video.write_text("these are my notes, not a video\n" * 20)
    proc = run_detect(video, "--backend", "fake", "-o", tmp_path / "o")
    _bad(tmp_path, proc, 2, ["notes.mp4", "not a video"])
    assert (tmp_path / "o" / "error.txt").exists()
    assert events_of(proc.stdout)[-1]["event"] == "failed"


def test_truncated_video_keeps_frames_before_damage(media, tmp_path):
    data = media("videos/openpose_video.avi").read_bytes()
    video = tmp_path / "cut.mp4"
    video.write_bytes(data[: len(data) // 2])
    out = tmp_path / "o"
    proc = run_detect(video, "--backend", "fake", "-o", out)
    _bad(tmp_path, proc, 1, ["damaged", "of 205", "saved"])
    summary = json.loads((out / "summary.json").read_text())
    assert 50 < summary["frames_processed"] < 205
    assert len(read_alphapose(out / "pose.json")) == summary["frames_processed"]


def test_audio_only_file(tmp_path):
    import numpy as np

    path = tmp_path / "sound.m4a"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=48000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp",
                                           layout="mono")
        frame.sample_rate = 48000
        for packet in [*stream.encode(frame), *stream.encode()]:
            out.mux(packet)
    _bad(tmp_path, run_detect(path, "--backend", "fake", "-o", tmp_path / "o"), 2,
         ["no video stream"])


def test_image_folder_without_images(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "readme.txt").write_text("x")
    _bad(tmp_path, run_detect("--image-dir", folder, "--backend", "fake", "-o", tmp_path / "o"),
         2, ["no images"])


def test_output_folder_not_writable(media, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    _bad(tmp_path, run_detect(media("videos/mmpose_demo.mp4"), "--backend", "fake",
                              "-o", blocker / "out"), 2, ["cannot write results"])


def test_missing_file_and_bad_options(tmp_path):
    _bad(tmp_path, run_detect(tmp_path / "nope.mp4", "--backend", "fake", "-o", tmp_path), 2,
         ["does not exist"])
    proc = run_detect(tmp_path / "nope.mp4", "--conf", "3", "-o", tmp_path)
    assert proc.returncode == 2 and "--conf" in proc.stderr


def test_debug_shows_traceback(tmp_path):
    video = tmp_path / "empty.mp4"
    video.write_bytes(b"")
    proc = run_detect(video, "--backend", "fake", "-o", tmp_path / "o", "--debug")
    assert proc.returncode == 2 and "Traceback" in proc.stderr


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_cancels_within_a_second(media, tmp_path, sig, code):
    out = tmp_path / "o"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ambientpose_desktop", "detect",
         str(media("videos/openpose_video.avi")), "--backend", "fake", "-o", str(out),
         "--opt", "delay_s=0.05"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=worker_env(),
    )
    deadline = time.monotonic() + 60
    for line in proc.stdout:
        if '"progress"' in line or time.monotonic() > deadline:
            break
    sent = time.monotonic()
    proc.send_signal(sig)
    rest = []
    for line in proc.stdout:  # the run stops within a batch: its last event says so
        rest.append(line)
        if '"canceled"' in line:
            stopped = time.monotonic() - sent
    proc.wait(timeout=30)
    # Stopping is the worker's job; the interpreter's exit after it depends on the load.
    assert stopped < 1.5
    assert time.monotonic() - sent < 10
    assert proc.returncode == code
    assert events_of("".join(rest))[-1]["event"] == "canceled"
    assert not (out / "pose.json").exists() and not (out / "summary.json").exists()
    assert not list(out.glob("*.part"))


@pytest.mark.parametrize(("opt", "words"), [
    ("batch=-5", ["batch", "0 to 64"]), ("iou=-1", ["iou", "0 to 1"]),
    ("max_det=-1", ["max_det", "1 to 1000"]), ("batch=1e9", ["batch"]),
])
def test_out_of_range_options_exit_2_at_once(media, tmp_path, opt, words):
    """A negative batch used to spin for ever with 0 frames done (hardening 1, 2)."""
    out = tmp_path / "o"
    started = time.monotonic()
    proc = run_detect(media("videos/mmpose_demo.mp4"), "--opt", opt, "-o", out, timeout=60)
    assert time.monotonic() - started < 30
    _bad(tmp_path, proc, 2, words)
    assert not out.exists()


def test_a_device_that_is_not_there_is_bad_input(media, tmp_path):
    proc = run_detect(media("videos/mmpose_demo.mp4"), "--device", "cuda:0", "-o", tmp_path / "o")
    _bad(tmp_path, proc, 2, ["cuda:0"])


def test_a_missing_input_leaves_no_results_folder(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "ambientpose_desktop", "detect", "nope.mp4"],
                          capture_output=True, text=True, cwd=tmp_path, env=worker_env(),
                          timeout=60)
    _bad(tmp_path, proc, 2, ["nope.mp4", "does not exist"])
    assert list(tmp_path.iterdir()) == []


def test_help_reads_as_plain_text_with_defaults_and_options():
    run = [sys.executable, "-m", "ambientpose_desktop"]
    from ambientpose_desktop.cli import SUBCOMMANDS

    for command in ([], *([name.replace("_", "-")] for name in SUBCOMMANDS if name != "gui")):
        shown = subprocess.run([*run, *command, "--help"], capture_output=True, text=True,
                               env=worker_env())
        assert shown.returncode == 0 and "``" not in shown.stdout, (command, shown.stdout)
    detect = subprocess.run([*run, "detect", "--help"], capture_output=True, text=True,
                            env=worker_env())
    text = " ".join(detect.stdout.split())
    assert "--task" not in text
    assert "default: 0.25" in text and "0 to 1" in text and "32 to 4096" in text
    for key in ("batch", "iou", "max_det", "delay_s", "det_batch", "pose_batch"):
        assert key in text
    assert "0 to 64" in text


def test_a_person_at_a_terminal_gets_a_progress_bar_not_json(media, tmp_path):
    import pty

    out = tmp_path / "o"
    argv = [sys.executable, "-m", "ambientpose_desktop", "detect",
            str(media("videos/mmpose_demo.mp4")), "--backend", "fake", "-o", str(out)]
    env = worker_env(COLUMNS="120")
    chunks: list[bytes] = []
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdout and stderr are the terminal
        os.execve(sys.executable, argv, env)
    try:
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
    finally:
        _, status = os.waitpid(pid, 0)
    text = b"".join(chunks).decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert '{"event"' not in text
    assert "5/5" in text and "done: 5 frames" in text
    assert (out / "events.jsonl").read_text().count('"event"') >= 3


def test_the_raw_layer_and_an_expected_people_count(media, tmp_path):
    """With --people 1 the linked layer keeps one identity; every detection stays in the raw
    layer, the others marked as left out (identity issue)."""
    from ambientpose_desktop.core.layers import Layer, available_layers
    from ambientpose_desktop.core.raw_layer import RawLayer

    out = tmp_path / "o"
    proc = run_detect(media("videos/mmpose_demo.mp4"), "--people", "1", "-o", out)
    assert proc.returncode == 0, proc.stderr
    entries = json.loads((out / "pose.json").read_text())
    assert {e["idx"] for e in entries} == {1}
    raw = RawLayer.load(out / "pose_raw.npz")
    summary = json.loads((out / "summary.json").read_text())
    assert raw.table.num_rows == len(entries) + summary["rejected"] and summary["rejected"] > 0
    assert summary["params"]["people"] == 1 and summary["tracks"] == 1
    assert available_layers(out) == [Layer.RAW, Layer.LINKED]
    _bad(tmp_path, run_detect(media("videos/mmpose_demo.mp4"), "--people", "0", "-o",
                              tmp_path / "p"), 2, ["--people", "1 to 100"])


def test_unrelated_stills_never_share_an_id(media, tmp_path):
    out = tmp_path / "o"
    proc = run_detect("--image-dir", media("coco_val2017_mmpose"), "-o", out)
    assert proc.returncode == 0, proc.stderr
    images_of: dict[int, set] = {}
    for entry in json.loads((out / "pose.json").read_text()):
        images_of.setdefault(entry["idx"], set()).add(entry["image_id"])
    assert images_of and all(len(images) == 1 for images in images_of.values())
