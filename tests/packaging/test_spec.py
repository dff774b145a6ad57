"""The PyInstaller spec leaves out only what the app never imports, and carries its data."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "ambientpose.spec"


def spec_excludes() -> list[str]:
    """EXCLUDES as written in ambientpose.spec (read, not run: PyInstaller runs the spec)."""
    for node in ast.parse(SPEC.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "EXCLUDES":
            return ast.literal_eval(node.value)
    raise AssertionError("ambientpose.spec has no EXCLUDES list")


def imported_by(code: str, tmp_path: Path) -> set[str]:
    """Modules a fresh interpreter has loaded after running ``code``."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def excluded(modules: set[str]) -> set[str]:
    names = spec_excludes()
    return {m for m in modules for x in names if m == x or m.startswith(x + ".")}


def test_excludes_name_nothing_detect_imports(media, tmp_path):
    video = media("videos/mmpose_demo.mp4")
    modules = imported_by(
        "from ambientpose_desktop.cli import main\n"
        f"assert main(['detect', {str(video)!r}, '-o', {str(tmp_path / 'out')!r}]) == 0",
        tmp_path)
    assert "onnxruntime" in modules  # the embedded default backend really ran
    assert not excluded(modules)


def test_excludes_name_nothing_the_about_dialog_imports(tmp_path):
    modules = imported_by(
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from ambientpose_desktop.gui.about import AboutDialog\n"
        "AboutDialog().details()", tmp_path)
    assert "PySide6.QtWidgets" in modules
    assert not excluded(modules)


def test_excludes_name_nothing_the_window_imports(tmp_path):
    pytest.importorskip("ambientpose_desktop.gui.app", reason="the window is not on this branch")
    modules = imported_by(
        "import os\n"
        f"os.environ['AMBIENTPOSE_SCREENSHOT'] = {str(tmp_path / 'window.png')!r}\n"
        "from ambientpose_desktop.gui.app import main\n"
        "assert main() == 0", tmp_path)
    assert (tmp_path / "window.png").is_file()  # the window really came up
    assert not excluded(modules)


def test_excludes_name_nothing_the_viewer_imports(media, tmp_path):
    pytest.importorskip("ambientpose_desktop.gui.viewer.window", reason="no viewer here")
    video, out = media("videos/mmpose_demo.mp4"), tmp_path / "out"
    modules = imported_by(
        "from ambientpose_desktop.cli import main\n"
        f"assert main(['detect', {str(video)!r}, '-o', {str(out)!r}, '--backend', 'fake']) == 0\n"
        "from pathlib import Path\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from ambientpose_desktop.gui.viewer.window import show_viewer\n"
        f"viewer = show_viewer(Path({str(out)!r}))\n"
        "assert viewer is not None\n"
        "app.processEvents()", tmp_path)
    assert "pyqtgraph" in modules  # the viewer with its plots really came up
    assert not excluded(modules)


def test_spec_carries_the_model_and_resources():
    text = SPEC.read_text()
    assert '"**/*.onnx"' in text and '"resources"' in text
    models = REPO / "ambientpose_desktop" / "pipeline" / "backends" / "models"
    assert list(models.glob("*.onnx")), "the embedded model file is missing"


@pytest.mark.parametrize(("fmt", "name"), [("slp", "p.slp"), ("analysis-h5", "p.analysis.h5"),
                                           ("nwb", "p.nwb"), ("dlc", "p.h5"),
                                           ("coco", "p.json"), ("csv", "p.csv")])
def test_every_export_works_with_the_excluded_modules_absent(processed_task, tmp_path, fmt,
                                                            name):
    """As in the frozen app, where nothing in EXCLUDES exists: an import of any of them fails
    (the libraries that try them, such as sleap-io with imageio_ffmpeg, must go on without)."""
    pytest.importorskip("sleap_io", reason="the interchange extra is not installed")
    out = tmp_path / name
    code = ("import sys\n"
            f"for name in {spec_excludes()!r}:\n"
            "    sys.modules[name] = None\n"
            "from ambientpose_desktop.cli import main\n"
            f"sys.exit(main(['export', {str(processed_task)!r}, '-f', {fmt!r}, "
            f"'-o', {str(out)!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert out.stat().st_size > 0



@pytest.mark.parametrize(("fmt", "name"), [("slp", "p.slp"), ("analysis-h5", "p.analysis.h5"),
                                           ("dlc", "p.h5")])
def test_foreign_predictions_open_with_the_excluded_modules_absent(processed_task, tmp_path,
                                                                   fmt, name):
    """What `ambientpose view` reads of SLEAP and DeepLabCut files needs nothing the frozen
    app leaves out (sleap-io's loaders with imageio_ffmpeg, skia… absent)."""
    pytest.importorskip("sleap_io", reason="the interchange extra is not installed")
    from ambientpose_desktop.core.summary import Summary
    from ambientpose_desktop.pipeline.export import export_task

    out = export_task(processed_task, fmt, tmp_path / name)
    video = Summary.read(processed_task / "summary.json").source.path
    code = ("import sys\n"
            f"for name in {spec_excludes()!r}:\n"
            "    sys.modules[name] = None\n"
            "from ambientpose_desktop.pipeline.open_results import results_folder\n"
            f"print(results_folder({str(out)!r}, {str(tmp_path / 'ws')!r}, {video!r}))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (Path(proc.stdout.strip()) / "pose.npz").is_file()
