"""`ambientpose check VIDEO [--json] [--quick]` on good and broken videos."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ambientpose_desktop.cli import main
from tests.pipeline.worker_helpers import worker_env

FIELDS = {"ok", "frames", "fps", "vfr", "min_interval_s", "max_interval_s", "keyframe_interval",
          "damaged_from_frame", "index_missing", "codec", "problems", "warnings", "duration_s",
          "quick"}


def check_json(capsys, *argv) -> tuple[int, dict]:
    code = main(["check", *map(str, argv), "--json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(("name", "frames"), [
    ("videos/openpose_video.avi", 205), ("videos/mmaction2_demo_skeleton.mp4", 72),
    ("videos/mmpose_demo.mp4", 5)])
def test_good_videos(media, capsys, name, frames):
    code, found = check_json(capsys, media(name))
    assert code == 0 and set(found) == FIELDS
    assert found["ok"] is True and found["frames"] == frames and found["problems"] == []


@pytest.mark.parametrize(("variant", "key", "value", "words"), [
    ("index_missing", "index_missing", True, "cut off before it was finalised"),
    ("cut_short", "ok", False, "cut short"),
    ("damaged", "ok", False, "damaged from frame"),
    ("audio_only", "frames", 0, "audio only"),
    ("unknown_codec", "frames", 0, "unsupported codec"),
    ("empty", "frames", 0, "empty (0 bytes)"),
    ("text", "frames", 0, "not a video"),
])
def test_problems_exit_1(media_variants, capsys, variant, key, value, words):
    code, found = check_json(capsys, media_variants[variant])
    assert code == 1 and set(found) == FIELDS and found["ok"] is False
    assert found[key] == value and words in found["problems"][0]


@pytest.mark.parametrize(("variant", "key", "value"), [
    ("vfr", "vfr", True), ("long_gop", "keyframe_interval", 250)])
def test_warnings_exit_0(media_variants, capsys, variant, key, value):
    code, found = check_json(capsys, media_variants[variant])
    assert code == 0 and found["ok"] is True and found[key] == value and found["warnings"]


def test_quick_is_the_container_pass(media_variants, capsys):
    code, found = check_json(capsys, media_variants["damaged"], "--quick")
    assert code == 0 and found["quick"] is True and found["frames"] == 205
    code, found = check_json(capsys, media_variants["index_missing"], "--quick")
    assert code == 1 and found["index_missing"] is True


def test_human_output_one_line_per_finding(media_variants):
    proc = subprocess.run([sys.executable, "-m", "ambientpose_desktop", "check",
                           str(media_variants["vfr"])], capture_output=True, text=True,
                          env=worker_env(), timeout=120)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0 and lines[0].startswith("ok: 205 frames, h264")
    assert lines[1:] == ["warning: variable frame rate: 20.0 ms to 40.0 ms between frames"]
    assert proc.stderr == ""  # the decoder's own log lines stay out


def test_no_video_exit_2(tmp_path, capsys):
    assert main(["check", str(tmp_path / "missing.mp4")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["check", str(tmp_path)]) == 2
