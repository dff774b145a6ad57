"""Letterbox resizing and non-maximum suppression as Ultralytics' predictor does them.

Kept apart from the backend's model handling so the geometry can be tested on its own (and
checked against torchvision's NMS).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Letterbox:
    """How one frame maps into the model input: scale ``gain``, then ``left``/``top`` padding.

    ``fit`` chooses the smallest stride-aligned rectangle holding the frame scaled to ``imgsz``
    on its long side (Ultralytics' ``auto`` letterbox): a 1920×1080 frame becomes 640×384,
    40% fewer pixels than a 640×640 square, with the same detections.
    """

    shape: tuple[int, int]  # source (h, w)
    resized: tuple[int, int]  # (w, h) after scaling, before padding
    gain: float
    left: int
    top: int
    right: int
    bottom: int

    @classmethod
    def fit(cls, shape: tuple[int, int], imgsz: int, stride: int = 32) -> Letterbox:
        h, w = shape
        gain = min(imgsz / h, imgsz / w)
        new_w, new_h = int(round(w * gain)), int(round(h * gain))
        dw, dh = (imgsz - new_w) % stride / 2, (imgsz - new_h) % stride / 2
        return cls(shape=(h, w), resized=(new_w, new_h), gain=gain,
                   left=int(round(dw - 0.1)), top=int(round(dh - 0.1)),
                   right=int(round(dw + 0.1)), bottom=int(round(dh + 0.1)))

    @property
    def padded_shape(self) -> tuple[int, int]:
        return (self.resized[1] + self.top + self.bottom, self.resized[0] + self.left + self.right)

    def scale(self, image: np.ndarray) -> np.ndarray:
        """The frame at the size it takes inside the model input (the first step of ``apply``,
        which the worker runs on its decoding thread, ahead of the model)."""
        if image.shape[1::-1] == self.resized:
            return image
        return cv2.resize(image, self.resized, interpolation=cv2.INTER_LINEAR)

    def apply(self, image: np.ndarray, pad_value: int = 114) -> np.ndarray:
        """The model input: ``image`` (of the source's shape, or already ``scale``d) scaled
        and padded."""
        image = self.scale(image)
        return cv2.copyMakeBorder(image, self.top, self.bottom, self.left, self.right,
                                  cv2.BORDER_CONSTANT, value=(pad_value,) * 3)

    def unmap_points(self, xy: np.ndarray) -> np.ndarray:
        """Model-input (x, y) → source pixels, clipped to the frame."""
        h, w = self.shape
        pad_x = round((self.padded_shape[1] - w * self.gain) / 2 - 0.1)
        pad_y = round((self.padded_shape[0] - h * self.gain) / 2 - 0.1)
        out = (xy - np.array([pad_x, pad_y], dtype=xy.dtype)) / self.gain
        out[:, 0] = out[:, 0].clip(0, w)
        out[:, 1] = out[:, 1].clip(0, h)
        return out

    def unmap_boxes(self, xyxy: np.ndarray) -> np.ndarray:
        return self.unmap_points(xyxy.reshape(-1, 2)).reshape(-1, 4)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Indices of the boxes (x0, y0, x1, y1) kept by greedy NMS, highest score first
    (the same result as ``torchvision.ops.nms``)."""
    order = np.argsort(-scores, kind="stable")
    x0, y0, x1, y1 = boxes.T
    areas = (x1 - x0) * (y1 - y0)
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        iw = np.clip(np.minimum(x1[i], x1[rest]) - np.maximum(x0[i], x0[rest]), 0, None)
        ih = np.clip(np.minimum(y1[i], y1[rest]) - np.maximum(y0[i], y0[rest]), 0, None)
        inter = iw * ih
        iou = inter / (areas[i] + areas[rest] - inter + 1e-9)
        order = rest[iou <= iou_threshold]
    return np.array(keep, dtype=np.int64)
