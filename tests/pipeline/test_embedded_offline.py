"""The embedded backend leaves no trace outside our folders (onnxruntime telemetry is off)."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

LOAD_AND_RUN = """
import numpy as np
from ambientpose_desktop.pipeline.backends import BackendConfig, create_backend
backend = create_backend("embedded", BackendConfig(device="cpu"))
backend.infer([np.zeros((64, 64, 3), dtype=np.uint8)])
"""


def test_onnxruntime_writes_nothing_in_home(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    env.update(HOME=str(tmp_path), PYTHONPATH=str(REPO), XDG_CACHE_HOME=str(tmp_path / ".cache"),
               AMBIENTPOSE_HOME=str(tmp_path / "ambientpose"))
    proc = subprocess.run([sys.executable, "-c", LOAD_AND_RUN], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    strays = [p for p in tmp_path.rglob("*")
              if p.is_file() and not p.is_relative_to(tmp_path / "ambientpose")]
    assert not strays, f"written outside AMBIENTPOSE_HOME: {strays}"
