"""The viewer in a real X window (Xvfb): it opens, draws the frame, overlays and plots."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.core.task_folder import POSE_TABLE
from tests.pipeline.worker_helpers import REPO, worker_env


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="Xvfb is not installed")
def test_screenshot_under_xvfb(processed_task, tmp_path):
    from PySide6.QtGui import QImage

    out = tmp_path / "viewer.png"
    env = worker_env()
    env.pop("QT_QPA_PLATFORM", None)  # a real X server this time, not offscreen
    proc = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", sys.executable,
                           "-m", "tests.viewer.screenshot", str(processed_task), str(out), "40"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    people = PoseTable.load(processed_task / POSE_TABLE).count(40)
    assert people > 0 and proc.stdout.startswith(f"xcb 40 DrawCounts(people={people},")
    image = QImage(str(out))
    assert image.width() >= 1000 and image.height() >= 700
    # the frame was painted: many distinct colours, not a blank window
    sample = {image.pixel(x, y) for x in range(0, image.width(), 37)
              for y in range(0, image.height() // 2, 23)}
    assert len(sample) > 200
    if os.environ.get("AMBIENTPOSE_SCREENSHOT"):
        shutil.copy(out, os.environ["AMBIENTPOSE_SCREENSHOT"])
