"""Viewer fixtures: a 1080p GOP-250 H.264 video, and a real task folder made by the worker."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pipeline.worker_helpers import run_detect
from tests.viewer.synthetic import make_video


@pytest.fixture(scope="session")
def long_gop_video(tmp_path_factory) -> Path:
    """260 frames of 1080p H.264 with one keyframe every 250 (two GOPs, B-frames)."""
    return make_video(tmp_path_factory.mktemp("gop") / "gop250.mp4", frames=260, gop=250,
                      preset="superfast")


@pytest.fixture(scope="session")
def processed_task(tmp_path_factory) -> Path:
    """A task folder from `ambientpose detect` (the embedded default model) on the first 60
    frames of a real street clip with several people (shared media)."""
    from tests.conftest import media_path

    video = media_path("videos/openpose_video.avi")
    out = tmp_path_factory.mktemp("task") / "task"
    proc = run_detect(video, "--output", out, "--max-frames", "60")
    assert proc.returncode == 0, proc.stderr
    return out
