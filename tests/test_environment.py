"""The installed environment: one copy of each library (two wheels providing the same import
name overwrite each other's files, and uninstalling either breaks the other)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def declared_opencv() -> str:
    """The OpenCV distribution pyproject.toml asks for."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    names = [re.split(r"[<>=!~ ;\[]", req, maxsplit=1)[0] for req in project["dependencies"]]
    (opencv,) = [name for name in names if name.startswith("opencv")]
    return opencv


def test_one_opencv_is_installed():
    providers = sorted(set(packages_distributions().get("cv2", [])))
    extra = [name for name in providers if name != declared_opencv()]
    assert providers == [declared_opencv()], (
        f"cv2 comes from {providers}; keep only {declared_opencv()}: "
        f"pip uninstall -y {' '.join(extra)} && "
        f"pip install --force-reinstall --no-deps {declared_opencv()}")


_CV2_FIRST = """
import cv2  # opencv-python points QT_QPA_PLATFORM_PLUGIN_PATH at its own Qt 5 plugins
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel("pose")
label.show()
app.processEvents()
print(app.platformName())
"""


def test_the_window_starts_after_cv2_was_imported():
    """The worst order (cv2 before the QApplication) on a real X server: Qt 6 passes over the
    Qt 5 plugins that opencv-python's cv2 points it at, and loads its own."""
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed (.ci/run installs it with apt-get)")
    proc = subprocess.run(["xvfb-run", "-a", sys.executable, "-c", _CV2_FIRST], cwd=REPO,
                          capture_output=True, text=True, timeout=120,
                          env={"QT_QPA_PLATFORM": "xcb", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0 and proc.stdout.split() == ["xcb"], proc.stderr[-2000:]
