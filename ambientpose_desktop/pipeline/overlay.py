"""Draw poses onto frames with OpenCV, for overlay videos and overlay JPEG folders.

The viewer draws live with QPainter instead; both take their colours from ``core``.
"""

from __future__ import annotations

import numpy as np

from ambientpose_desktop.core.keypoints import KeypointFormat
from ambientpose_desktop.core.palette import track_color
from ambientpose_desktop.core.poses import Person


def draw_poses(rgb: np.ndarray, persons: list[Person], fmt: KeypointFormat,
               min_score: float = 0.3, boxes: bool = True, labels: bool = True) -> np.ndarray:
    """A copy of ``rgb`` with skeletons (track colour), keypoints and optional boxes and ids."""
    import cv2

    out = np.ascontiguousarray(rgb).copy()
    scale = max(1, round(max(out.shape[:2]) / 720))
    for person in persons:
        color = track_color(person.idx)
        kp = person.keypoints
        if boxes:
            x0, y0, x1, y1 = (int(round(v)) for v in person.box_xyxy)
            cv2.rectangle(out, (x0, y0), (x1, y1), color, scale, cv2.LINE_AA)
            if labels and person.idx >= 0:
                cv2.putText(out, f"#{person.idx}", (x0, max(12, y0 - 4)),
                            cv2.FONT_HERSHEY_SIMPLEX, 0.5 * scale, color, scale, cv2.LINE_AA)
        for a, b in fmt.skeleton:
            if a < len(kp) and b < len(kp) and kp[a, 2] >= min_score and kp[b, 2] >= min_score:
                cv2.line(out, (int(kp[a, 0]), int(kp[a, 1])), (int(kp[b, 0]), int(kp[b, 1])),
                         color, 2 * scale, cv2.LINE_AA)
        for x, y, s in kp:
            if s >= min_score:
                cv2.circle(out, (int(x), int(y)), 2 * scale + 1, (255, 255, 255), -1, cv2.LINE_AA)
    return out
