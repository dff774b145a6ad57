"""`ambientpose check-alphapose` against the AlphaPose test double: checks, then both runs
on a real video and their comparison."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pipeline.worker_helpers import worker_env

DOUBLE = Path(__file__).resolve().parent / "alphapose_double"


def _check(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ambientpose_desktop", "check-alphapose",
                           "--device", "cpu", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=worker_env())


@pytest.fixture
def home(tmp_path) -> Path:
    shutil.copytree(DOUBLE, tmp_path / "AlphaPose")
    return tmp_path / "AlphaPose"


@pytest.fixture
def checkpoint(tmp_path) -> Path:
    torch = pytest.importorskip("torch", reason="the AlphaPose double needs torch (dev extra)")
    path = tmp_path / "double.pth"
    torch.save({"peak": torch.tensor([0.5])}, path)
    return path


def _opts(home: Path, checkpoint: Path, **extra: str) -> list[str]:
    values = {"alphapose_dir": home, "config": "configs/coco17.yaml",
              "checkpoint": checkpoint, "tracking": "ours", **extra}
    return [arg for k, v in values.items() for arg in ("--opt", f"{k}={v}")]


def test_check_lists_every_problem_and_fails(home, tmp_path):
    (home / "detector/yolo/data/yolov3-spp.weights").unlink()
    proc = _check(*_opts(home, tmp_path / "missing.pth", detector="yolo"))
    assert proc.returncode == 1
    assert "checkpoint not found" in proc.stdout
    assert "detector/yolo/data/yolov3-spp.weights" in proc.stdout


def test_check_passes_on_a_usable_setup(home, checkpoint):
    proc = _check(*_opts(home, checkpoint))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"ok: AlphaPose at {home}" in proc.stdout


def test_check_runs_through_the_worker_python_from_settings(home, checkpoint, tmp_path):
    proc = _check("--python", tmp_path / "no-such-python", *_opts(home, checkpoint))
    assert proc.returncode == 1 and "cannot start the worker Python" in proc.stderr


def test_ours_agrees_with_alphapose_demo_on_real_video(home, checkpoint, media, tmp_path):
    video = media("videos/mmpose_demo.mp4")
    out = tmp_path / "check"
    proc = _check("--video", video, "-o", out, *_opts(home, checkpoint, detector="yolo"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "5 frames, 10 people paired: AGREE" in proc.stdout
    assert "AlphaPose demo:" in proc.stdout and "ours:" in proc.stdout
    assert (out / "alphapose" / "alphapose-results.json").is_file()


def test_ours_agrees_with_alphapose_demo_on_our_models_boxes(home, checkpoint, media,
                                                             tmp_path):
    """With our detector (the default) AlphaPose's demo reads our model's boxes from a
    detection file over the frames saved as images: no detector weights needed."""
    import json

    (home / "detector/yolo/data/yolov3-spp.weights").unlink()  # not needed
    video = media("videos/mmpose_demo.mp4")
    out = tmp_path / "check"
    proc = _check("--video", video, "-o", out, *_opts(home, checkpoint))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in (out / "frames").iterdir()) == [
        f"{i:06d}.png" for i in range(5)]
    boxes = json.loads((out / "detections.json").read_text())
    assert boxes and {b["image_id"] for b in boxes} <= {
        str((out / "frames" / f"{i:06d}.png").resolve()) for i in range(5)}
    people = len(boxes)  # the double's pose NMS keeps everyone: one pose per box
    assert "people paired: AGREE" in proc.stdout
    assert f", {people} people paired" in proc.stdout
