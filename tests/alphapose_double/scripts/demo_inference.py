"""Double of AlphaPose's ``scripts/demo_inference.py``: same command line (the options the
check passes), same steps through the double's functions, writes ``alphapose-results.json``."""

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
for name in ("--cfg", "--checkpoint", "--video", "--outdir", "--detector", "--gpus"):
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
detector = get_detector(args)
detector.load_model()
to_coord = get_func_heatmap_to_coord(cfg)
inp_h, inp_w = cfg.DATA_PRESET.IMAGE_SIZE
results, stream, index = [], cv2.VideoCapture(args.video), 0
while True:
    grabbed, frame = stream.read()
    if not grabbed:
        break
    rgb = frame[:, :, ::-1]
    h, w = frame.shape[:2]
    dets = detector.images_detection(detector.image_preprocess(frame),
                                     torch.FloatTensor([[w, h, w, h]]))
    for det in dets.numpy():
        x1, y1, x2, y2, score = det[1:6]
        center, scale = _box_to_center_scale(x1, y1, x2 - x1, y2 - y1, inp_w / inp_h)
        trans = get_affine_transform(center, scale, 0, [inp_w, inp_h])
        crop = im_to_torch(cv2.warpAffine(np.ascontiguousarray(rgb), trans, (inp_w, inp_h)))
        with torch.no_grad():
            hm = model(crop[None])[0]
        xy, conf = to_coord(hm, _center_scale_to_box(center, scale))
        keypoints = np.hstack([xy, conf]).reshape(-1).tolist()
        results.append({"image_id": f"{index}.jpg", "category_id": 1, "keypoints": keypoints,
                        "score": float(conf.mean() + score + 1.25 * conf.max()),
                        "box": [float(x1), float(y1), float(x2 - x1), float(y2 - y1)],
                        "idx": [0.0]})
    index += 1
os.makedirs(args.outdir, exist_ok=True)
with open(os.path.join(args.outdir, "alphapose-results.json"), "w") as f:
    json.dump(results, f)
