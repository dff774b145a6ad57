"""Workers started with another Python interpreter (Settings > Worker Python), as for an
AlphaPose environment: a second venv really runs the worker, with no Qt or server installed."""

from __future__ import annotations

import json
import site
import subprocess
import sys
import venv
from pathlib import Path

from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.runner.command import detect_arguments, worker_environment, worker_program

REPO = Path(__file__).resolve().parents[2]

# Loaded at start-up in the second venv: GUI and server packages cannot be imported there,
# as in a worker-only install (`pip install ambientpose-desktop[worker]`).
_BLOCKER = '''
import importlib.abc, sys

class _WorkerOnly(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"PySide6", "fastapi", "starlette", "uvicorn", "pyqtgraph"}:
            raise ImportError(f"{name} is not installed in this worker-only environment")
        return None

sys.meta_path.insert(0, _WorkerOnly())
'''


def _worker_only_venv(folder: Path) -> Path:
    """A venv (no pip, seconds to make) that sees our package and its base dependencies."""
    venv.EnvBuilder(with_pip=False, symlinks=True).create(folder)
    python = folder / "bin" / "python"
    code = "import sysconfig; print(sysconfig.get_path('purelib'))"
    packages = Path(subprocess.run([python, "-c", code], capture_output=True, text=True,
                                   check=True).stdout.strip())
    (packages / "_worker_only.py").write_text(_BLOCKER)
    paths = [str(REPO), *site.getsitepackages()]
    (packages / "ambientpose_worker.pth").write_text("\n".join(paths) + "\nimport _worker_only\n")
    return python


def test_worker_runs_in_the_interpreter_settings_name(tmp_path, media):
    video = media("videos/mmpose_demo.mp4")
    python = _worker_only_venv(tmp_path / "alphapose-env")
    assert python.absolute() != Path(sys.executable).absolute()
    out = tmp_path / "out"
    args = detect_arguments("t1", video, out, TaskParams(backend="fake", max_frames=3))
    proc = subprocess.run(worker_program(str(python)) + args, capture_output=True, text=True,
                          env=worker_environment(), timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["python"] == str(python)
    assert summary["frames_processed"] == 3


def test_the_blocker_really_blocks(tmp_path):
    python = _worker_only_venv(tmp_path / "env")
    proc = subprocess.run([python, "-c", "import PySide6"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0 and "worker-only" in proc.stderr
