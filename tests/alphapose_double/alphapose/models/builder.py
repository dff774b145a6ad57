"""Double of ``alphapose.models.builder``: a tiny pose model with predictable heatmaps.

Joint ``k``'s heatmap peaks at row ``(3 k) % H``, column ``(5 k) % W`` with the value of the
``peak`` parameter (1.0 when built, whatever the checkpoint holds after loading). With
``MODEL.MAX_BATCH`` set, a larger batch raises CUDA's out-of-memory error; ``MODEL.DELAY_S``
makes each call that slow (to cancel a run).
"""

import time

import torch
from torch import nn


class DoubleSPPE(nn.Module):
    def __init__(self, num_joints, heatmap_size, max_batch=None, delay_s=0.0):
        super().__init__()
        self.num_joints = num_joints
        self.heatmap_size = heatmap_size
        self.max_batch = max_batch
        self.delay_s = delay_s
        self.peak = nn.Parameter(torch.ones(1))

    def forward(self, x):
        if self.max_batch is not None and x.shape[0] > self.max_batch:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        time.sleep(self.delay_s)
        h, w = self.heatmap_size
        hm = torch.zeros(x.shape[0], self.num_joints, h, w)
        for k in range(self.num_joints):
            hm[:, k, (3 * k) % h, (5 * k) % w] = self.peak
        return hm


class _Dataset:
    joint_pairs = [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12], [13, 14], [15, 16]]


def build_sppe(cfg, preset_cfg, **kwargs):
    return DoubleSPPE(preset_cfg.NUM_JOINTS, list(preset_cfg.HEATMAP_SIZE), cfg.get("MAX_BATCH"),
                      cfg.get("DELAY_S", 0.0))


def retrieve_dataset(cfg):
    # AlphaPose imports its dataset classes here, which import the compiled roi_align.
    from alphapose.utils import roi_align  # noqa: F401

    return _Dataset
