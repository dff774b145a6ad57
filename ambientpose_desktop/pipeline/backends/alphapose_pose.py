"""AlphaPose's single-person pose model over person boxes: crop, heatmaps, coordinates, NMS.

Each step calls AlphaPose's own functions (``alphapose.utils.transforms``, ``.bbox``,
``.pPose_nms``) in the order its ``scripts/demo_inference.py`` and ``DataWriter`` use them.
The crop goes through the ``transforms`` helpers rather than ``SimpleTransform`` because that
class imports the compiled ``roi_align`` extension on Linux, which the crop does not need.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ambientpose_desktop.core.poses import Person

# What AlphaPose's SimpleTransform subtracts from each channel of a crop scaled to 0..1.
_CHANNEL_SHIFT = (0.406, 0.457, 0.480)
# In "Combined" whole-body models the last 110 joints (face and hands) are regressed.
_FACE_HAND_JOINTS = 110


class PoseStage:
    """Turns person boxes into AlphaPose poses with a loaded AlphaPose pose model."""

    def __init__(self, cfg: Any, model: Any, device: Any, pose_batch: int,
                 joint_pairs: list | None = None) -> None:
        from alphapose.utils.transforms import get_func_heatmap_to_coord

        self._model = model
        self._device = device
        self._pose_batch = max(1, pose_batch)
        self._joint_pairs = joint_pairs  # set when flip test is on
        self._input_size = list(cfg.DATA_PRESET.IMAGE_SIZE)  # height, width
        self._hm_size = cfg.DATA_PRESET.HEATMAP_SIZE
        self._norm_type = cfg.LOSS.get("NORM_TYPE", None)
        self._heatmap_loss = cfg.DATA_PRESET.get("LOSS_TYPE", "MSELoss") == "MSELoss"
        self._to_coord = get_func_heatmap_to_coord(cfg)

    def crop(self, image: np.ndarray, box: np.ndarray) -> tuple[Any, list[float]]:
        """The model input for one person (3, h, w) and the box it covers (x1, y1, x2, y2)."""
        import cv2
        from alphapose.utils.bbox import _box_to_center_scale, _center_scale_to_box
        from alphapose.utils.transforms import get_affine_transform, im_to_torch

        x1, y1, x2, y2 = (float(v) for v in box)
        inp_h, inp_w = self._input_size
        center, scale = _box_to_center_scale(x1, y1, x2 - x1, y2 - y1, float(inp_w) / inp_h)
        trans = get_affine_transform(center, scale, 0, [inp_w, inp_h])
        patch = cv2.warpAffine(image, trans, (int(inp_w), int(inp_h)), flags=cv2.INTER_LINEAR)
        tensor = im_to_torch(patch)
        for channel, shift in enumerate(_CHANNEL_SHIFT):
            tensor[channel].add_(-shift)
        return tensor, [float(v) for v in _center_scale_to_box(center, scale)]

    def heatmaps(self, inputs: Any) -> Any:
        """Model output for a stack of crops, ``pose_batch`` crops at a time (half of that with
        flip test, whose flipped copies double each batch), on the CPU."""
        import torch
        from alphapose.utils.transforms import flip, flip_heatmap

        step = max(1, self._pose_batch // 2) if self._joint_pairs is not None else self._pose_batch
        out = []
        with torch.no_grad():
            for start in range(0, len(inputs), step):
                chunk = inputs[start:start + step].to(self._device)
                if self._joint_pairs is not None:
                    chunk = torch.cat((chunk, flip(chunk)))
                hm = self._model(chunk)
                if self._joint_pairs is not None:
                    half = len(hm) // 2
                    hm = (hm[:half] + flip_heatmap(hm[half:], self._joint_pairs, shift=True)) / 2
                out.append(hm)
        return torch.cat(out).cpu()

    def people(self, hm: Any, crop_boxes: list, boxes: Any, scores: Any, ids: Any,
               pose_nms: bool = True) -> list[Person]:
        """People from one frame's heatmaps; ``pose_nms`` merges duplicates as AlphaPose does
        (it is skipped when AlphaPose's tracker already chose the people)."""
        import torch
        from alphapose.utils.pPose_nms import pose_nms as alphapose_pose_nms

        if len(crop_boxes) == 0:
            return []
        coords, confidences = [], []
        for i in range(hm.shape[0]):
            crop = [float(v) for v in np.asarray(crop_boxes[i], dtype=np.float32).reshape(-1)]
            xy, conf = self._coordinates(hm[i], crop)
            coords.append(torch.from_numpy(np.asarray(xy, dtype=np.float32)).unsqueeze(0))
            confidences.append(torch.from_numpy(np.asarray(conf, dtype=np.float32)).unsqueeze(0))
        preds, pred_scores = torch.cat(coords), torch.cat(confidences)
        boxes_t = torch.as_tensor(np.asarray(boxes, dtype=np.float32)).reshape(-1, 4)
        scores_t = torch.as_tensor(np.asarray(scores, dtype=np.float32)).reshape(-1, 1)
        ids_t = torch.as_tensor(np.asarray(ids, dtype=np.float32)).reshape(-1, 1)
        if pose_nms:
            boxes_t, scores_t, ids_t, preds, pred_scores, _ = alphapose_pose_nms(
                boxes_t, scores_t, ids_t, preds, pred_scores, 0,
                use_heatmap_loss=self._heatmap_loss)
        # Without AlphaPose's tracker the ids are zeros: leave idx to our tracker (-1).
        return [_person(preds[k], pred_scores[k], boxes_t[k], scores_t[k],
                        -1 if pose_nms else int(np.asarray(ids_t[k]).reshape(-1)[0]))
                for k in range(len(scores_t))]

    def _coordinates(self, hm: Any, crop_box: list[float]) -> tuple[np.ndarray, np.ndarray]:
        kwargs = {"hm_shape": self._hm_size, "norm_type": self._norm_type}
        if not isinstance(self._to_coord, list):
            return self._to_coord(hm, crop_box, **kwargs)
        body, face_hands = self._to_coord
        xy_a, conf_a = body(hm[:-_FACE_HAND_JOINTS], crop_box, **kwargs)
        xy_b, conf_b = face_hands(hm[-_FACE_HAND_JOINTS:], crop_box, **kwargs)
        return np.concatenate((xy_a, xy_b), axis=0), np.concatenate((conf_a, conf_b), axis=0)


def _person(xy: Any, kp_scores: Any, box: Any, box_score: Any, idx: int) -> Person:
    """One entry as AlphaPose's writer makes it: the score is AlphaPose's proposal score."""
    xy = np.asarray(xy, dtype=np.float32).reshape(-1, 2)
    conf = np.asarray(kp_scores, dtype=np.float32).reshape(-1)
    x1, y1, x2, y2 = (float(v) for v in np.asarray(box, dtype=np.float32).reshape(-1)[:4])
    score = float(conf.mean() + float(np.asarray(box_score).reshape(-1)[0]) + 1.25 * conf.max())
    return Person(keypoints=np.hstack([xy, conf[:, None]]), box=(x1, y1, x2 - x1, y2 - y1),
                  score=score, idx=idx)
