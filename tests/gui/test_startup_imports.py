"""The window starts without loading a model runtime, a video library, numpy or the web
server (start-up time: the goal is a window in under 1.5 s)."""

import subprocess
import sys

HEAVY = ("torch", "onnxruntime", "ultralytics", "av", "cv2", "numpy", "fastapi")


def test_window_modules_load_nothing_heavy():
    code = ("import sys; import ambientpose_desktop.cli as cli; cli.build_parser(); "
            "import ambientpose_desktop.gui.app, ambientpose_desktop.gui.main_window; "
            "from ambientpose_desktop.cli.gui import _server_factory; _server_factory(); "
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
