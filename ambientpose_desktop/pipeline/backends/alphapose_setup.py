"""Where a user's AlphaPose install lives and what it needs, checked before any model loads.

AlphaPose reads its detector and tracker weights from paths relative to its checkout, and
several of its modules import compiled extensions; most failed runs come from one of those
files being absent. ``findings`` names each problem with the exact path or command that fixes
it, so the Settings dialog, the worker and ``ambientpose check-alphapose`` say the same thing.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Where AlphaPose's own code looks for weights, relative to its checkout (detector/*_cfg.py,
# detector/apis.py, trackers/tracker_cfg.py).
DETECTOR_WEIGHTS = {
    "yolo": "detector/yolo/data/yolov3-spp.weights",
    "yolox-s": "detector/yolox/data/yolox_s.pth",
    "yolox-m": "detector/yolox/data/yolox_m.pth",
    "yolox-l": "detector/yolox/data/yolox_l.pth",
    "yolox-x": "detector/yolox/data/yolox_x.pth",
}
TRACKER_WEIGHTS = ("trackers/weights/osnet_ain_x1_0_msmt17_256x128_amsgrad_ep50_lr0.0015_"
                   "coslr_b64_fb10_softmax_labsmth_flip_jitter.pth")
# Our own model's person boxes stand in for AlphaPose's detector (no YOLOv3 weights needed).
OUR_DETECTOR = "embedded"
BUILD_HINT = "build them with `python setup.py build develop` in the AlphaPose folder"


@dataclass(frozen=True)
class Finding:
    """One result of a check: ``error`` stops a run, ``warning`` only informs."""

    level: str  # "error" | "warning"
    message: str


@dataclass(frozen=True)
class AlphaPoseSetup:
    """The ``alphapose`` backend options, with paths resolved the way AlphaPose users write
    them (``configs/...yaml`` relative to the checkout)."""

    home: Path | None
    config: Path | None
    checkpoint: Path | None
    detector: str
    det_batch: int
    pose_batch: int
    flip: bool
    tracking: str

    @classmethod
    def from_options(cls, values: dict[str, Any]) -> AlphaPoseSetup:
        home = Path(values["alphapose_dir"]).expanduser() if values["alphapose_dir"] else None
        if home is None:
            home = _installed_home()
        return cls(home=home,
                   config=_resolve(values["config"], home),
                   checkpoint=_resolve(values["checkpoint"], home),
                   detector=values["detector"], det_batch=values["det_batch"],
                   pose_batch=values["pose_batch"], flip=values["flip"],
                   tracking=values["tracking"])

    def weights_path(self, relative: str) -> Path:
        return (self.home or Path.cwd()) / relative

    @property
    def uses_alphapose_tracker(self) -> bool:
        """AlphaPose's re-id pose tracker when asked for, or by default when its weights exist;
        otherwise our tracker assigns ``idx``."""
        if self.tracking == "alphapose":
            return True
        return self.tracking == "auto" and self.weights_path(TRACKER_WEIGHTS).is_file()

    def put_on_path(self) -> None:
        """Make AlphaPose's packages (``alphapose``, ``detector``, ``trackers``) importable.

        AlphaPose's checkout has a top-level ``trackers`` package, as does the PyPI
        ``trackers`` our own tracker uses: whichever tracker runs must own that name.
        """
        if self.home is None or str(self.home) in sys.path:
            return
        if not self.uses_alphapose_tracker:
            with contextlib.suppress(ImportError):
                importlib.import_module("trackers")  # ours, cached before the checkout shadows it
        sys.path.insert(0, str(self.home))
        if self.uses_alphapose_tracker:
            for name in [m for m in sys.modules if m.split(".")[0] == "trackers"]:
                del sys.modules[name]


def _resolve(value: str | None, home: Path | None) -> Path | None:
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_absolute() and home is not None and (home / path).exists():
        return home / path
    return path


def _installed_home() -> Path | None:
    """The checkout of an ``alphapose`` installed with ``setup.py develop`` (or pip), if any."""
    try:
        spec = importlib.util.find_spec("alphapose")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).resolve().parent.parent


def file_findings(setup: AlphaPoseSetup) -> list[Finding]:
    """Cheap checks (files only, nothing imported): safe to run in the window."""
    found = []
    if setup.home is None:
        found.append(Finding("error", "AlphaPose not found: set its folder (--opt alphapose_dir="
                                      "PATH) or run the worker with a Python where `alphapose` "
                                      "imports (Settings > Worker Python)"))
    elif not (setup.home / "alphapose").is_dir():
        found.append(Finding("error", f"{setup.home} is not an AlphaPose checkout (it has no "
                                      "alphapose/ folder)"))
    for key, path in (("config", setup.config), ("checkpoint", setup.checkpoint)):
        if path is None:
            found.append(Finding("error", f"AlphaPose {key} not set: --opt {key}=PATH "
                                          "(see AlphaPose's docs/MODEL_ZOO.md)"))
        elif not path.is_file():
            found.append(Finding("error", f"AlphaPose {key} not found: {path}"))
    if setup.detector in DETECTOR_WEIGHTS:
        weights = setup.weights_path(DETECTOR_WEIGHTS[setup.detector])
        if not weights.is_file():
            found.append(Finding("error", f"detector {setup.detector!r} needs its weights at "
                                          f"{weights}; download them as AlphaPose's "
                                          "docs/INSTALL.md says, or use --opt detector=embedded"))
    if setup.tracking == "alphapose" and not setup.weights_path(TRACKER_WEIGHTS).is_file():
        found.append(Finding("error", "AlphaPose's pose tracker needs its weights at "
                                      f"{setup.weights_path(TRACKER_WEIGHTS)}; or use "
                                      "--opt tracking=ours"))
    return found


def import_findings(setup: AlphaPoseSetup, device: str) -> list[Finding]:
    """Checks that import AlphaPose and torch (seconds): run in the worker's interpreter."""
    setup.put_on_path()
    for module in ("torch", "torchvision", "easydict", "yaml", "scipy",
                   "alphapose.utils.config", "alphapose.models.builder",
                   "alphapose.utils.transforms", "alphapose.utils.pPose_nms"):
        try:
            importlib.import_module(module)
        except Exception as exc:  # any failure here means the install is unusable
            missing = getattr(exc, "name", None) or module
            return [Finding("error", f"AlphaPose does not import: `import {module}` failed "
                                     f"({type(exc).__name__}: {exc}); missing: {missing}")]
    return [*_extension_findings(setup), *_tracker_findings(setup), *_cuda_findings(device)]


def _tracker_findings(setup: AlphaPoseSetup) -> list[Finding]:
    """AlphaPose's pose tracker imports more than AlphaPose itself (e.g. ``cython_bbox``)."""
    if not setup.uses_alphapose_tracker:
        return []
    try:
        importlib.import_module("trackers.tracker_api")
    except ImportError as exc:
        return [Finding("error", f"AlphaPose's pose tracker does not import ({exc}): install "
                                 f"{exc.name or 'what it names'} in AlphaPose's environment, "
                                 "or use --opt tracking=ours")]
    return []


def _extension_findings(setup: AlphaPoseSetup) -> list[Finding]:
    """AlphaPose's compiled CUDA/C++ extensions, needed only by some features."""
    needs = []
    if setup.flip:
        needs.append(("alphapose.utils.roi_align", "flip test (AlphaPose's dataset classes "
                                                   "import roi_align)"))
    if setup.detector == "yolo":
        needs.append(("detector.nms", "the yolo detector"))
    if setup.config is not None and setup.config.is_file() and "dcn" in setup.config.name.lower():
        needs.append(("alphapose.models.layers.dcn", "DCN models"))
    found = []
    for module, feature in needs:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            reason = str(exc).split(" (")[0]
            found.append(Finding("error", f"AlphaPose's compiled extension {module} is missing "
                                          f"({reason}), needed for {feature}: {BUILD_HINT}"))
    return found


def _cuda_findings(device: str) -> list[Finding]:
    import torch

    if torch.cuda.is_available():
        return []
    if device.startswith("cuda"):
        return [Finding("error", f"{device} asked for, but this Python's torch sees no CUDA GPU "
                                 f"(torch {torch.__version__}); use --device cpu (slow)")]
    return [Finding("warning", "CUDA not available: AlphaPose runs on the CPU, which is many "
                               "times slower than on a GPU")]
