"""The installed environment: one copy of each library (two wheels providing the same import
name overwrite each other's files, and uninstalling either breaks the other)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]


def _requirement_closure(name: str, extras: set[str]) -> set[str]:
    """Every distribution ``name[extras]`` needs, as installed here, by its metadata."""
    seen: set[str] = set()
    todo = [(name, frozenset(extras))]
    while todo:
        dist, wanted = todo.pop()
        try:
            requires = metadata.requires(dist) or []
        except metadata.PackageNotFoundError:
            continue
        for text in requires:
            req = Requirement(text)
            env = [{"extra": extra} for extra in wanted or {""}]
            if req.marker is not None and not any(req.marker.evaluate(e) for e in env):
                continue
            key = canonicalize_name(req.name)
            if key == canonicalize_name(name):  # an extra of ours naming our other extras
                todo.append((dist, frozenset(req.extras)))
            elif (key, frozenset(req.extras)) not in seen:
                seen.add((key, frozenset(req.extras)))
                todo.append((req.name, frozenset(req.extras)))
    return {key for key, _ in seen}


@pytest.mark.parametrize("extras", [set(), {"app"}, {"package"}])
def test_the_app_needs_one_opencv(extras):
    """What the README's install and the frozen app get: a single OpenCV distribution
    (trackers asks for opencv-python by name, so depending on -headless beside it gave two).
    The dev extra's movement (a reader of our exports in the tests, never shipped) brings
    opencv-python-headless into the test environment, so this walks the app's own
    requirements rather than what happens to be installed; the frozen-app test also checks a
    fresh build environment."""
    opencvs = {d for d in _requirement_closure("ambientpose-desktop", extras)
               if d.startswith("opencv")}
    assert opencvs == {"opencv-python"}, opencvs


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
