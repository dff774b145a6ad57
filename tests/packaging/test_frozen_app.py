"""Build the one-folder app with PyInstaller and run packaging/smoke.sh on it: --version,
about, detect (pose.json equal to the source tree's), serve, and the window under Xvfb."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import media_path

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.mark.timeout(1500)
def test_frozen_app_smoke():
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.skip("PyInstaller is not installed (pip install -e '.[package]')")
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed (apt-get install xvfb; .ci/run does)")
    video = media_path("videos/mmpose_demo.mp4")
    proc = subprocess.run(
        ["bash", str(REPO / "packaging" / "smoke.sh"), "--rebuild"], cwd=REPO,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", "PYTHON": sys.executable,
             "AMBIENTPOSE_MEDIA": str(video.parents[1])},
        capture_output=True, text=True, timeout=1400,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (REPO / "build" / "smoke" / "window.png").stat().st_size > 10_000
