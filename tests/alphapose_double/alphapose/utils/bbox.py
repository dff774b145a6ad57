"""Double of ``alphapose.utils.bbox``: box <-> centre and scale (padded to the aspect)."""

import numpy as np


def _box_to_center_scale(x, y, w, h, aspect_ratio=1.0, scale_mult=1.25):
    center = np.array([x + w / 2, y + h / 2], dtype=np.float32)
    w, h = max(w, h * aspect_ratio), max(h, w / aspect_ratio)
    return center, np.array([w, h], dtype=np.float32) * scale_mult


def _center_scale_to_box(center, scale):
    return [center[0] - scale[0] / 2, center[1] - scale[1] / 2,
            center[0] + scale[0] / 2, center[1] + scale[1] / 2]
