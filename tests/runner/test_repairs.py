"""The window's repair as a process of its own: progress lines, findings, one-line errors, and
a cancel that leaves no partial copy behind."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.pipeline.media_repair import RepairCanceled, partial_path
from ambientpose_desktop.runner.repairs import repair_isolated
from tests.pipeline.worker_helpers import worker_env


def test_findings_and_progress_come_back(repair_clips, tmp_path):
    steps = []
    out = tmp_path / "saved.mp4"
    odd = tmp_path / "-o.mp4"  # a name like an option is still a file
    odd.write_bytes(repair_clips["damaged"].read_bytes())
    result = repair_isolated(odd, out,
                             progress=lambda *step: steps.append(step))
    assert result.mode == "salvage" and result.lost and result.output == str(out)
    assert result.frames_written + result.lost_frames == result.source_frames == 205
    names = [name for name, _, _ in steps]
    assert names[0] == "checking" and names[-1] == "copying good frames"
    assert steps[-1][1:] == (205, 205)
    with pytest.raises(InputError, match="already exists"):
        repair_isolated(odd, out)


def test_cancel_stops_the_process_and_leaves_nothing(repair_clips, tmp_path):
    steps = []
    out = tmp_path / "fast.mp4"
    with pytest.raises(RepairCanceled):
        repair_isolated(repair_clips["long_gop"], out, mode="reencode",
                        progress=lambda *step: steps.append(step),
                        should_stop=lambda: bool(steps))
    assert steps and list(tmp_path.iterdir()) == []


def test_sigterm_removes_the_partial_copy(repair_clips, tmp_path):
    out = tmp_path / "fast.mp4"
    child = subprocess.Popen(
        [sys.executable, "-m", "ambientpose_desktop", "repair", str(repair_clips["long_gop"]),
         "-o", str(out), "--mode", "reencode", "--progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=worker_env())
    try:
        while not partial_path(out).exists():  # until it is writing
            step = json.loads(child.stdout.readline())
            assert step["step"] == "re-encoding" and step["done"] < 205
        child.send_signal(signal.SIGTERM)
        assert child.wait(30) == 130
    finally:
        child.kill()
        child.communicate()
    assert list(tmp_path.iterdir()) == []
