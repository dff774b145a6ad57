"""Many Qt calls in a row must not abort Python (PySide6 6.12 on 3.11 over-releases None,
True and False)."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_CODE = """
import ambientpose_desktop.gui
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QGuiApplication, QImage, QPainter
app = QGuiApplication([])
image = QImage(64, 64, QImage.Format.Format_RGB888)
painter = QPainter(image)
rect = QRectF(0, 0, 10, 10)
for _ in range(200_000):
    painter.drawLine(QPointF(1.0, 2.0), QPointF(30.0, 40.0))  # returns None
    painter.isActive()  # returns True
    rect.isEmpty()  # returns False
painter.end()
print("ok")
"""


def test_many_void_qt_calls_do_not_abort():
    proc = subprocess.run([sys.executable, "-c", _CODE], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env={"QT_QPA_PLATFORM": "offscreen",
                                                       "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]
