"""Double of ``detector.apis``: ``get_detector(opt)`` returns a detector with AlphaPose's
methods that finds two fixed people (left and right third of the frame) in every image."""

import numpy as np
import torch


def get_detector(opt=None):
    if opt.detector != "yolo":
        raise NotImplementedError
    return DoubleDetector(opt)


class DoubleDetector:
    def __init__(self, opt):
        self.detector_opt = opt
        self.model_cfg = "detector/yolo/cfg/yolov3-spp.cfg"
        self.model_weights = "detector/yolo/data/yolov3-spp.weights"
        self.model = None

    def load_model(self):
        print("Loading YOLO model..")  # AlphaPose prints on stdout too
        with open(self.model_weights, "rb"):  # fails unless made absolute by the caller
            pass
        self.model = "loaded"

    def image_preprocess(self, img_source):
        """BGR image (h, w, 3) -> (1, 3, h, w) float tensor, as AlphaPose's detectors take."""
        return torch.from_numpy(np.ascontiguousarray(img_source.transpose(2, 0, 1)))[None].float()

    def images_detection(self, imgs, orig_dim_list):
        """Rows (batch index, x1, y1, x2, y2, score, class score, class) like AlphaPose's."""
        rows = []
        for k in range(imgs.shape[0]):
            w, h = float(orig_dim_list[k][0]), float(orig_dim_list[k][1])
            rows.append([k, w * 0.1, h * 0.2, w * 0.3, h * 0.9, 0.9, 0.9, 0])
            rows.append([k, w * 0.6, h * 0.1, w * 0.85, h * 0.8, 0.8, 0.8, 0])
        return torch.tensor(rows, dtype=torch.float32)
