"""Double of ``alphapose.utils.transforms``: crop, flip and heatmap-to-image mapping."""

import numpy as np
import torch


def im_to_torch(img):
    img = torch.from_numpy(np.ascontiguousarray(np.transpose(img, (2, 0, 1)))).float()
    return img / 255 if img.max() > 1 else img


def get_affine_transform(center, scale, rot, output_size,
                         shift=np.array([0, 0], dtype=np.float32), inv=0):  # noqa: B008 - as AlphaPose
    s = output_size[0] / scale[0]
    return np.array([[s, 0, output_size[0] / 2 - s * center[0]],
                     [0, s, output_size[1] / 2 - s * center[1]]], dtype=np.float32)


def flip(x):
    return x.flip(dims=[3])


def flip_heatmap(heatmap, joint_pairs, shift=False):
    out = heatmap.flip(dims=[3]).clone()
    for a, b in joint_pairs:
        out[:, [a, b]] = out[:, [b, a]]
    return out


def heatmap_to_coord_simple(hms, bbox, hms_flip=None, **kwargs):
    """Peak cell centre of each joint, mapped linearly into ``bbox`` (x1, y1, x2, y2)."""
    hms = hms.cpu().numpy() if not isinstance(hms, np.ndarray) else hms
    k, h, w = hms.shape
    flat = hms.reshape(k, -1)
    rows, cols = np.divmod(flat.argmax(axis=1), w)
    x1, y1, x2, y2 = bbox
    coords = np.stack([x1 + (cols + 0.5) / w * (x2 - x1), y1 + (rows + 0.5) / h * (y2 - y1)], 1)
    return coords.astype(np.float32), flat.max(axis=1, keepdims=True).astype(np.float32)


def get_func_heatmap_to_coord(cfg):
    return heatmap_to_coord_simple
