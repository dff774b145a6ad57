"""AlphaPose's own demo on our model's person boxes: the frames as images, and a detection file.

AlphaPose's ``scripts/demo_inference.py`` cannot run our embedded model, but it reads person
boxes from a file (``--detfile``: COCO-style entries ``{image_id: image path, bbox: [x, y, w,
h], score}``). So ``ambientpose check-alphapose`` saves the video's frames as PNG images
(lossless: both sides see the same pixels) and our model's boxes in that file; AlphaPose's
demo and our backend (on the image folder, with ``detector=embedded``) then estimate poses
on the very same boxes, and the comparison is of the pose stage alone. No detector weights
are needed, which is what makes the check possible with only a pose checkpoint.
"""

from __future__ import annotations

import json
from pathlib import Path

from ambientpose_desktop.core.atomic import atomic_write_text
from ambientpose_desktop.pipeline.backends.alphapose_setup import OUR_DETECTOR
from ambientpose_desktop.pipeline.backends.base import BackendConfig

DETECTIONS_FILE = "detections.json"


def write_detection_file(video: Path, folder: Path, config: BackendConfig) -> Path:
    """Frames of ``video`` as ``folder/NNNNNN.png`` and our model's boxes (``config``: the
    device, confidence and size the worker's boxes use) in ``DETECTIONS_FILE`` beside the
    folder; returns that file."""
    import cv2

    from ambientpose_desktop.pipeline.backends import create_backend
    from ambientpose_desktop.pipeline.backends.alphapose_detectors import BackendBoxes
    from ambientpose_desktop.pipeline.video import VideoSource

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    source = VideoSource(video)
    boxes = BackendBoxes(create_backend(OUR_DETECTOR, config))
    entries = []
    try:
        for index, _, rgb in source.frames():
            image = (folder / f"{index:06d}.png").resolve()
            if not cv2.imwrite(str(image), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
                raise OSError(f"cannot write {image}")
            found = boxes.detect([rgb])[0]
            for (x1, y1, x2, y2), score in zip(found.boxes.tolist(), found.scores.tolist(),
                                               strict=True):
                entries.append({"image_id": str(image), "category_id": 1,
                                "bbox": [x1, y1, x2 - x1, y2 - y1], "score": score})
    finally:
        source.close()
        boxes.close()
    path = folder.parent / DETECTIONS_FILE
    atomic_write_text(path, json.dumps(entries))
    return path
