"""Build the one-folder app with PyInstaller and run packaging/smoke.sh on it, in a fresh
checkout as the README says (no .venv: build.sh makes its own): --version, about, detect
(pose.json equal to the source tree's), serve, and the window under Xvfb."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import media_path

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow
# A user's shell, less what would point the scripts at this test's interpreter or tree.
_OUR_PYTHON = ("PYTHON", "PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")


def fresh_checkout(target: Path) -> Path:
    """This working tree as a fresh clone of it would be: tracked and new files, nothing that
    git ignores (no .venv, build/ or dist/)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
        capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():  # not deleted in the working tree
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.mark.timeout(2400)
def test_a_fresh_checkout_passes_the_smoke_test(tmp_path):
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    if shutil.which("python3.11") is None:
        pytest.skip("python3.11 is not on PATH (build.sh makes its .venv with it)")
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed (apt-get install xvfb; .ci/run does)")
    video = media_path("videos/mmpose_demo.mp4")
    checkout = fresh_checkout(tmp_path / "ambientpose")
    proc = subprocess.run(
        ["bash", "packaging/smoke.sh"], cwd=checkout,
        env={**{k: v for k, v in os.environ.items() if k not in _OUR_PYTHON},
             "AMBIENTPOSE_MEDIA": str(video.parents[1])},
        capture_output=True, text=True, timeout=2300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (checkout / "build" / "smoke" / "window.png").stat().st_size > 10_000
    # The environment build.sh made has one OpenCV (tests/test_environment.py).
    opencv = subprocess.run(
        [str(checkout / ".venv" / "bin" / "python"), "-c",
         "from importlib.metadata import packages_distributions as p; print(*p()['cv2'])"],
        capture_output=True, text=True, timeout=60)
    assert opencv.stdout.split() == ["opencv-python"], opencv.stdout + opencv.stderr
    print(proc.stdout[-2500:])
