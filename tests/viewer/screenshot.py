"""Open the viewer on a task folder in a real window and save a screenshot.

    xvfb-run -a python -m tests.viewer.screenshot TASK_DIR OUT.png [FRAME]

Used by test_screenshot.py under Xvfb, and by hand to look at the viewer.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main(task_dir: str, out: str, frame: str = "40") -> int:
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from ambientpose_desktop.gui.viewer import ViewerWindow

    window = ViewerWindow(Path(task_dir))
    window.show()
    window.plots.keypoint_box.setCurrentIndex(9)  # left_wrist: a keypoint that moves
    window.state.seek(int(frame))
    deadline = time.monotonic() + 20
    while window.canvas.image_index != int(frame) and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    for _ in range(20):  # let the window settle (layout, plots) before grabbing it
        app.processEvents()
        time.sleep(0.02)
    ok = window.grab().save(out)
    print(app.platformName(), window.canvas.image_index, window.canvas.last_counts)
    window.close()
    return 0 if ok and window.canvas.image_index == int(frame) else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
