"""The layer rules of docs/architecture.md, enforced by import-linter and by a cold import."""

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    lint = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    # CI must check the layers: a missing import-linter is a broken install, not a reason to
    # skip (it is in the dev extra).
    assert Path(lint).exists(), "import-linter is not installed: pip install -e '.[dev]'"
    proc = subprocess.run([lint, str(REPO / "pyproject.toml")], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_worker_cli_does_not_load_qt_or_heavy_runtimes():
    code = ("import sys, ambientpose_desktop.cli as c; c.build_parser(); "
            "import ambientpose_desktop.pipeline.worker, ambientpose_desktop.store; "
            "bad = [m for m in ('PySide6', 'torch', 'onnxruntime', 'fastapi', 'ultralytics') "
            "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    assert Path(ruff).exists(), "ruff is not installed: pip install -e '.[dev]'"
    proc = subprocess.run([ruff, "check", "--output-format", "concise",
                           "ambientpose_desktop", "tests", "benchmarks", "packaging"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
