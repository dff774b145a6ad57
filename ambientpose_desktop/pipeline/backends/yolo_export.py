"""Convert Ultralytics ``*-pose.pt`` weights into the ONNX file the embedded backend runs.

Needs ``ultralytics`` (and so torch), which the app itself does not: the shipped model was made
with this code by ``models/make_model.py``, and a user who points the backend at their own
``.pt`` file gets it converted once, into the app's data folder, when ultralytics is installed.
Ultralytics is told to stay offline and to keep its settings in a temporary folder, so nothing
is fetched, pip-installed or written outside our own folders.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from ambientpose_desktop.core.errors import BackendUnavailable

OPSET = 17


def _import_ultralytics():
    """``YOLO`` and ``SETTINGS``, with Pillow's own ``Image.open`` put back: importing
    ultralytics replaces it process-wide with a wrapper that, the first time a file is not an
    image, tries to install pi-heif, so an unreadable image of a folder would no longer fail as
    Pillow fails. We only export a model with it."""
    from PIL import Image

    pillow_open = Image.open
    from ultralytics import YOLO
    from ultralytics.utils import SETTINGS

    Image.open = pillow_open
    return YOLO, SETTINGS


def export_pose_onnx(weights: Path, output: Path, imgsz: int = 640) -> Path:
    """Write ``weights`` as a dynamic-shape ONNX model (batch, height, width) to ``output``."""
    with tempfile.TemporaryDirectory(prefix="ambientpose-export-") as tmp:
        os.environ["YOLO_OFFLINE"] = "1"
        os.environ["YOLO_CONFIG_DIR"] = tmp
        os.environ.setdefault("YOLO_AUTOINSTALL", "false")
        try:
            YOLO, SETTINGS = _import_ultralytics()
        except ImportError as exc:
            raise BackendUnavailable(
                f"converting {weights.name} needs ultralytics ({exc.name} is missing): "
                "pip install ultralytics onnx, or export it yourself with "
                f"`yolo export model={weights} format=onnx dynamic=True` and give the .onnx file"
            ) from None
        SETTINGS.update({"sync": False})
        work = Path(tmp) / weights.name
        shutil.copy2(weights, work)  # ultralytics writes the .onnx beside its input
        model = YOLO(str(work), task="pose")
        if getattr(model.model, "kpt_shape", None) != [17, 3]:
            raise BackendUnavailable(f"{weights.name} is not a COCO-17 pose model")
        exported = Path(model.export(format="onnx", imgsz=imgsz, dynamic=True, opset=OPSET,
                                     simplify=True, verbose=False))
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp_out = output.with_suffix(".onnx.tmp")
        shutil.copyfile(exported, tmp_out)
        tmp_out.replace(output)
    return output


def converted_path(weights: Path, cache: Path) -> Path:
    """Where the conversion of ``weights`` is cached: keyed by content, so edits reconvert."""
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]
    return cache / f"{weights.stem}-{digest}.onnx"
