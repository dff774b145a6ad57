"""Person boxes for AlphaPose's pose model: from one of our backends, or AlphaPose's detectors.

Our embedded model's boxes are the default because AlphaPose's YOLOv3 weights are the usual
stumbling block of an install; AlphaPose's own detectors are called as its ``DetectionLoader``
calls them, so results match ``scripts/demo_inference.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ambientpose_desktop.pipeline.backends.base import PoseBackend


@dataclass
class Detections:
    """People found in one frame: ``boxes`` (n, 4) x1, y1, x2, y2 in pixels, ``scores`` (n,),
    ``ids`` (n,) track ids when the detector tracks, zeros otherwise."""

    boxes: np.ndarray
    scores: np.ndarray
    ids: np.ndarray

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.float32))

    def __len__(self) -> int:
        return len(self.boxes)


class PersonDetector(Protocol):
    def detect(self, frames: list[np.ndarray]) -> list[Detections]:
        """Detections for each RGB frame."""

    def close(self) -> None:
        """Release the detector's model."""


def boxes_device(device: str) -> str:
    """Where our model finds the boxes for AlphaPose on ``device``: there when ONNX Runtime
    can use it, else on the CPU (AlphaPose's environments seldom have onnxruntime-gpu, and a
    GPU run must not fail for the boxes' sake)."""
    from ambientpose_desktop.pipeline.backends import availability
    from ambientpose_desktop.pipeline.backends.base import BackendConfig

    if device.startswith("cuda") and availability("embedded", BackendConfig(device=device)).ok:
        return device
    return "cpu"


class BackendBoxes:
    """The person boxes one of our pose backends finds (its keypoints are not used)."""

    def __init__(self, backend: PoseBackend) -> None:
        self._backend = backend

    def detect(self, frames: list[np.ndarray]) -> list[Detections]:
        out = []
        for people in self._backend.infer(frames):
            if not people:
                out.append(Detections.empty())
                continue
            out.append(Detections(
                boxes=np.array([p.box_xyxy for p in people], dtype=np.float32),
                scores=np.array([p.score for p in people], dtype=np.float32),
                ids=np.zeros(len(people), dtype=np.float32),
            ))
        return out

    def close(self) -> None:
        self._backend.close()


class AlphaPoseDetector:
    """One of AlphaPose's detectors (``detector.apis.get_detector``: yolo, yolox-*)."""

    def __init__(self, opt: Any, home: Path | None, batch: int) -> None:
        from detector.apis import get_detector

        self._detector = get_detector(opt)
        self._batch = batch
        # AlphaPose names its weights relative to its checkout and expects to run from there;
        # absolute paths let the worker keep its own working folder.
        for attr in ("model_cfg", "model_weights"):
            value = getattr(self._detector, attr, None)
            if home is not None and isinstance(value, str) and not Path(value).is_absolute():
                setattr(self._detector, attr, str(home / value))
        self._detector.load_model()

    def detect(self, frames: list[np.ndarray]) -> list[Detections]:
        import torch

        images = []
        for frame in frames:
            image = self._detector.image_preprocess(np.ascontiguousarray(frame[:, :, ::-1]))
            image = torch.from_numpy(image) if isinstance(image, np.ndarray) else image
            images.append(image.unsqueeze(0) if image.dim() == 3 else image)
        dims = torch.FloatTensor([(f.shape[1], f.shape[0]) for f in frames]).repeat(1, 2)
        batch = torch.cat(images)
        # AlphaPose pads a short last batch with copies of its first image (its loader says
        # the detector misbehaves otherwise); do the same.
        pad = max(0, self._batch - len(frames))
        if pad:
            batch = torch.cat([batch, batch[:1].repeat(pad, 1, 1, 1)])
            dims = torch.cat([dims, dims[:1].repeat(pad, 1)])
        with torch.no_grad():
            dets = self._detector.images_detection(batch, dims)
        if isinstance(dets, int) or len(dets) == 0:
            return [Detections.empty() for _ in frames]
        dets = np.asarray(dets.cpu() if hasattr(dets, "cpu") else dets, dtype=np.float32)
        out = []
        for k in range(len(frames)):
            rows = dets[dets[:, 0] == k]
            out.append(Detections(boxes=rows[:, 1:5].copy(), scores=rows[:, 5].copy(),
                                  ids=np.zeros(len(rows), dtype=np.float32)))
        return out

    def close(self) -> None:
        self._detector = None
