"""The ``alphapose`` backend: drives the user's own AlphaPose install (MVIG-SJTU/AlphaPose).

AlphaPose is called, never copied (its licence is non-commercial): its config loader and model
builder load the pose model, its detectors or our embedded model find people, its transforms
and pose NMS turn heatmaps into poses, and its re-id tracker assigns ``idx`` when its weights
exist (else our tracker does). AlphaPose often lives in its own environment; the runner then
starts this worker with that environment's Python (Settings > Worker Python).
"""

from __future__ import annotations

import contextlib
import sys
from types import SimpleNamespace
from typing import Any

import numpy as np

from ambientpose_desktop.core.errors import AmbientPoseError, BackendUnavailable
from ambientpose_desktop.core.keypoints import format_for_count
from ambientpose_desktop.core.poses import Person
from ambientpose_desktop.pipeline.backends.alphapose_detectors import (
    AlphaPoseDetector,
    BackendBoxes,
    PersonDetector,
    boxes_device,
)
from ambientpose_desktop.pipeline.backends.alphapose_pose import PoseStage
from ambientpose_desktop.pipeline.backends.alphapose_setup import (
    DETECTOR_WEIGHTS,
    OUR_DETECTOR,
    AlphaPoseSetup,
    Finding,
    file_findings,
    import_findings,
)
from ambientpose_desktop.pipeline.backends.base import (
    Availability,
    BackendConfig,
    BackendOption,
    PoseBackend,
)


class AlphaPoseBackend(PoseBackend):
    name = "alphapose"
    title = "AlphaPose (your install, GPU)"
    options = (
        BackendOption("alphapose_dir", "AlphaPose folder", "dir", "",
                      "its checkout; leave empty when `alphapose` imports in the worker Python"),
        BackendOption("config", "Model config (YAML)", "file", "",
                      "e.g. configs/coco/resnet/256x192_res50_lr1e-3_1x.yaml"),
        BackendOption("checkpoint", "Checkpoint", "file", "",
                      "e.g. pretrained_models/fast_res50_256x192.pth"),
        BackendOption("detector", "Person detector", "choice", OUR_DETECTOR,
                      "embedded = our model's person boxes (no extra weights); or AlphaPose's",
                      (OUR_DETECTOR, *DETECTOR_WEIGHTS)),
        BackendOption("det_batch", "Detection batch (frames)", "int", 5,
                      "lower it if the GPU runs out of memory", minimum=1, maximum=64),
        BackendOption("pose_batch", "Pose batch (people)", "int", 64,
                      "lower it if the GPU runs out of memory", minimum=1, maximum=1024),
        BackendOption("flip", "Flip test", "bool", False,
                      "average with the mirrored image: slower, slightly more accurate"),
        BackendOption("tracking", "Tracking", "choice", "auto",
                      "auto = AlphaPose's pose tracker when its weights exist, else ours",
                      ("auto", "alphapose", "ours")),
    )

    def __init__(self, config: BackendConfig, detector: PersonDetector | None = None) -> None:
        """``detector`` replaces the one the options name."""
        super().__init__(config)
        values = self.option_values(config)
        self.setup = AlphaPoseSetup.from_options(values)
        self.batch_size = max(1, self.setup.det_batch)
        self._detector = detector
        self._device: Any = None
        self._stage: PoseStage | None = None
        self._tracker: Any = None
        self._opt: Any = None
        self._step = "loading"

    @classmethod
    def availability(cls, config: BackendConfig | None = None) -> Availability:
        try:
            setup = AlphaPoseSetup.from_options(cls.option_values(config or BackendConfig()))
        except AmbientPoseError as exc:
            return Availability(False, str(exc))
        errors = [f.message for f in file_findings(setup) if f.level == "error"]
        return Availability(not errors, "; ".join(errors) or f"AlphaPose at {setup.home}")

    def findings(self) -> list[Finding]:
        """Every check, including those that import AlphaPose and torch."""
        found = file_findings(self.setup)
        return found + import_findings(self.setup, self.config.device)

    def load(self) -> None:
        problems = self.findings()
        errors = [f.message for f in problems if f.level == "error"]
        if errors:
            raise BackendUnavailable("; ".join(errors))
        from loguru import logger

        for finding in problems:
            logger.warning(finding.message)
        with _stdout_to_stderr():
            self._load()

    def _load(self) -> None:
        import torch
        from alphapose.models import builder
        from alphapose.utils.config import update_config

        self._device = torch.device(device_name(self.config.device))
        cfg = update_config(str(self.setup.config))
        num_joints = int(cfg.DATA_PRESET.NUM_JOINTS)
        try:
            self.keypoint_format = format_for_count(num_joints).name
        except KeyError:
            raise BackendUnavailable(
                f"{self.setup.config.name}: {num_joints}-keypoint models are not supported "
                "(COCO-17, Halpe-26, Halpe-136 are)") from None
        model = _build_model(builder, cfg)
        _load_weights(model, self.setup.checkpoint, self._device)
        model.to(self._device).eval()
        joint_pairs = builder.retrieve_dataset(cfg.DATASET.TRAIN).joint_pairs \
            if self.setup.flip else None
        self._stage = PoseStage(cfg, model, self._device, self.setup.pose_batch, joint_pairs)
        gpus = [self._device.index or 0] if self._device.type == "cuda" else [-1]
        tracking = self.setup.uses_alphapose_tracker
        self._opt = SimpleNamespace(device=self._device, gpus=gpus, detector=self.setup.detector,
                                    tracking=tracking, pose_track=tracking)
        if self._detector is None:
            self._detector = self._make_detector()
        if self.setup.uses_alphapose_tracker:
            from trackers.tracker_api import Tracker
            from trackers.tracker_cfg import cfg as tracker_cfg

            tracker_cfg.loadmodel = str(self.setup.weights_path(tracker_cfg.loadmodel))
            self._tracker = Tracker(tracker_cfg, self._opt)

    def _make_detector(self) -> PersonDetector:
        if self.setup.detector == OUR_DETECTOR:
            from ambientpose_desktop.pipeline.backends import create_backend

            return BackendBoxes(create_backend(OUR_DETECTOR, BackendConfig(
                device=boxes_device(str(self._device)), conf=self.config.conf,
                imgsz=self.config.imgsz)))
        return AlphaPoseDetector(self._opt, self.setup.home, self.setup.det_batch)

    @property
    def device(self) -> str:
        return str(self._device) if self._device is not None else "cpu"

    @property
    def tracks_itself(self) -> bool:
        return self._tracker is not None

    def infer(self, frames: list[np.ndarray]) -> list[list[Person]]:
        try:
            with _stdout_to_stderr():
                return self._infer(frames)
        except Exception as exc:
            if _is_out_of_memory(exc):
                key = "det_batch" if self._step == "detector" else "pose_batch"
                raise AmbientPoseError(
                    f"the GPU ran out of memory in AlphaPose's {self._step}: lower "
                    f"{key} (now {getattr(self.setup, key)}) in Settings or with --opt "
                    f"{key}=N") from None
            raise

    def _infer(self, frames: list[np.ndarray]) -> list[list[Person]]:
        import torch

        self._step = "detector"
        detections = self._detector.detect(frames)
        self._step = "pose model"
        crops, crop_boxes = [], []
        for image, found in zip(frames, detections, strict=True):
            pairs = [self._stage.crop(image, box) for box in found.boxes]
            crops += [tensor for tensor, _ in pairs]
            crop_boxes.append([box for _, box in pairs])
        hm_all = self._stage.heatmaps(torch.stack(crops)) if crops else None
        out, start = [], 0
        for image, found, frame_crops in zip(frames, detections, crop_boxes, strict=True):
            hm = hm_all[start:start + len(found)] if len(found) else None
            inputs = torch.stack(crops[start:start + len(found)]) if len(found) else None
            start += len(found)
            if hm is None:  # AlphaPose's demo skips such frames, its tracker included
                out.append([])
            elif self._tracker is not None:
                out.append(self._tracked_people(image, inputs, found, hm, frame_crops))
            else:
                out.append(self._stage.people(hm, frame_crops, found.boxes, found.scores,
                                              found.ids))
        return out

    def _tracked_people(self, image: np.ndarray, inputs: Any, found: Any, hm: Any,
                        frame_crops: list) -> list[Person]:
        """People as AlphaPose's re-id tracker keeps them (it replaces pose NMS, as in its
        demo)."""
        import torch
        from trackers import track

        boxes, scores, ids, hm, crops = track(
            self._tracker, self._opt, image, inputs, torch.as_tensor(found.boxes), hm,
            torch.as_tensor(np.asarray(frame_crops, dtype=np.float32)), "",
            torch.as_tensor(found.scores).reshape(-1, 1))
        if len(boxes) == 0:
            return []
        return self._stage.people(hm.cpu(), crops, boxes, scores, ids, pose_nms=False)

    def close(self) -> None:
        if self._detector is not None:
            self._detector.close()
        self._detector = self._stage = self._tracker = None
        with contextlib.suppress(ImportError):
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()


def device_name(device: str) -> str:
    """The torch device a worker on ``device`` uses (``auto``: the first GPU, else the CPU)."""
    import torch

    if device in ("", "auto"):
        return "cuda:0" if torch.cuda.is_available() else "cpu"
    return device


def _build_model(builder: Any, cfg: Any) -> Any:
    try:
        return builder.build_sppe(cfg.MODEL, preset_cfg=cfg.DATA_PRESET)
    except OSError as exc:  # urllib errors are OSErrors
        raise BackendUnavailable(
            "AlphaPose's model asks torchvision for ImageNet backbone weights and could not "
            f"get them ({exc}); go online once, or put the file torchvision names under "
            "$TORCH_HOME/hub/checkpoints/") from None


def _load_weights(model: Any, checkpoint: Any, device: Any) -> None:
    import torch

    try:
        state = torch.load(str(checkpoint), map_location=device)
        model.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise BackendUnavailable(f"checkpoint {checkpoint.name} does not fit the config "
                                 f"(choose the pair listed in AlphaPose's MODEL_ZOO): "
                                 f"{first}") from None


def _is_out_of_memory(exc: BaseException) -> bool:
    return type(exc).__name__ == "OutOfMemoryError" or "CUDA out of memory" in str(exc)


@contextlib.contextmanager
def _stdout_to_stderr():
    """AlphaPose prints progress on stdout, which carries our JSON events: move it aside."""
    with contextlib.redirect_stdout(sys.stderr):
        yield
