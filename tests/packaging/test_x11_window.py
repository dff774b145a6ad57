"""The smoke test's X11 helper finds a real Qt window, photographs it and closes it cleanly."""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

REPO = Path(__file__).resolve().parents[2]
HELPER = REPO / "packaging" / "x11_window.py"
_spec = importlib.util.spec_from_file_location("x11_window", HELPER)
x11_window = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(x11_window)

WINDOW = """
import sys
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication(sys.argv)
label = QLabel("<h1 style='color:#f77f00'>Smoke</h1>")
label.setWindowTitle("AmbientPose smoke check")
label.resize(320, 200)
label.show()
app.aboutToQuit.connect(lambda: print("quit cleanly", flush=True))
sys.exit(app.exec())
"""


def test_png_writer_round_trips_through_qt(tmp_path):
    width, height = 3, 2
    rgb = bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90])
    (tmp_path / "t.png").write_bytes(x11_window.png(width, height, rgb))
    image = QImage(str(tmp_path / "t.png"))
    assert (image.width(), image.height()) == (3, 2)
    assert image.pixelColor(2, 0).getRgb()[:3] == (0, 0, 255)
    assert image.pixelColor(1, 1).getRgb()[:3] == (40, 50, 60)
    assert x11_window.colours(rgb, step=1) == 6
    assert x11_window.colours(bytes(3 * 100), step=1) == 1


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs Xvfb (xvfb-run)")
def test_shot_and_close_a_real_window(tmp_path):
    (tmp_path / "window.py").write_text(WINDOW)
    shot = tmp_path / "shot.png"
    script = (f'"{sys.executable}" window.py > app.log 2>&1 & pid=$!; '
              f'"{sys.executable}" "{HELPER}" shot "smoke check" "{shot}" --timeout 30 || exit 3; '
              f'"{sys.executable}" "{HELPER}" close "smoke check" || exit 4; '
              'wait $pid; echo "app exit $?"; cat app.log')
    proc = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 800x600x24", "bash", "-c", script],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "QT_QPA_PLATFORM": "xcb"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "app exit 0" in proc.stdout and "quit cleanly" in proc.stdout
    assert "320x200" in proc.stdout and "'AmbientPose smoke check'" in proc.stdout
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (320, 200)


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs Xvfb (xvfb-run)")
def test_shot_gives_up_when_the_app_has_ended(tmp_path):
    script = (f'true & pid=$!; wait $pid; "{sys.executable}" "{HELPER}" shot AmbientPose '
              f'"{tmp_path / "shot.png"}" --timeout 60 --pid $pid')
    proc = subprocess.run(["xvfb-run", "-a", "bash", "-c", script], capture_output=True,
                          text=True, timeout=50)
    assert proc.returncode == 1
    assert "ended before showing a window" in proc.stderr
    assert not (tmp_path / "shot.png").exists()
