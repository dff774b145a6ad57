"""Double of AlphaPose's ``scripts/demo_inference.py``: same command line (the options the
check passes), same steps through the double's functions, writes ``alphapose-results.json``.
With ``--detfile`` it reads boxes and image paths from that file instead of running the
detector on a video, as AlphaPose's ``FileDetectionLoader`` does (image ids: file names)."""

import argparse
import json
import os

import cv2
import numpy as np
import torch
from alphapose.models import builder
from alphapose.utils.bbox import _box_to_center_scale, _center_scale_to_box
from alphapose.utils.config import update_config
from alphapose.utils.transforms import get_affine_transform, get_func_heatmap_to_coord, im_to_torch
from detector.apis import get_detector

parser = argparse.ArgumentParser()
for name in ("--cfg", "--checkpoint", "--video", "--detfile", "--outdir", "--detector",
             "--gpus"):
    parser.add_argument(name)
for name in ("--detbatch", "--posebatch"):
    parser.add_argument(name, type=int)
for name in ("--sp", "--flip", "--pose_track"):
    parser.add_argument(name, action="store_true")
args = parser.parse_args()
args.device, args.gpus, args.tracking = torch.device("cpu"), [-1], False
cfg = update_config(args.cfg)
model = builder.build_sppe(cfg.MODEL, preset_cfg=cfg.DATA_PRESET)
model.load_state_dict(torch.load(args.checkpoint, map_location="cpu"))
detector = None if args.detfile else get_detector(args)
if detector is not None:
    detector.load_model()
to_coord = get_func_heatmap_to_coord(cfg)
inp_h, inp_w = cfg.DATA_PRESET.IMAGE_SIZE


def frames_and_boxes():
    """(image id, BGR frame, [(x1, y1, x2, y2, score), ...]) per frame."""
    if args.detfile:
        with open(args.detfile) as f:
            entries = json.load(f)
        by_image = {}
        for entry in entries:  # in order of first appearance, as FileDetectionLoader
            x, y, w, h = entry["bbox"]
            by_image.setdefault(entry["image_id"], []).append((x, y, x + w, y + h,
                                                               entry["score"]))
        for path, boxes in by_image.items():
            yield os.path.basename(path), cv2.imread(path), boxes
        return
    stream, index = cv2.VideoCapture(args.video), 0
    while True:
        grabbed, frame = stream.read()
        if not grabbed:
            return
        h, w = frame.shape[:2]
        dets = detector.images_detection(detector.image_preprocess(frame),
                                         torch.FloatTensor([[w, h, w, h]]))
        yield f"{index}.jpg", frame, [tuple(det[1:6]) for det in dets.numpy()]
        index += 1


results = []
for image_id, frame, boxes in frames_and_boxes():
    rgb = frame[:, :, ::-1]
    for x1, y1, x2, y2, score in boxes:
        center, scale = _box_to_center_scale(x1, y1, x2 - x1, y2 - y1, inp_w / inp_h)
        trans = get_affine_transform(center, scale, 0, [inp_w, inp_h])
        crop = im_to_torch(cv2.warpAffine(np.ascontiguousarray(rgb), trans, (inp_w, inp_h)))
        with torch.no_grad():
            hm = model(crop[None])[0]
        xy, conf = to_coord(hm, _center_scale_to_box(center, scale))
        keypoints = np.hstack([xy, conf]).reshape(-1).tolist()
        results.append({"image_id": image_id, "category_id": 1, "keypoints": keypoints,
                        "score": float(conf.mean() + score + 1.25 * conf.max()),
                        "box": [float(x1), float(y1), float(x2 - x1), float(y2 - y1)],
                        "idx": [0.0]})
os.makedirs(args.outdir, exist_ok=True)
with open(os.path.join(args.outdir, "alphapose-results.json"), "w") as f:
    json.dump(results, f)
