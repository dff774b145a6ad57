"""The ``alphapose`` backend against the AlphaPose test double (tests/alphapose_double).

The double has AlphaPose's layout and the signatures of the functions we call, with simple
predictable bodies, so these tests check our adapter: options, availability messages, crops,
batching, flip, formats, tracking, out-of-memory handling and the worker run. Tests against
the real AlphaPose need its checkout, weights and usually CUDA; they are not run in CI.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ambientpose_desktop.core.errors import AmbientPoseError, BackendUnavailable
from ambientpose_desktop.pipeline.backends import BackendConfig, availability
from ambientpose_desktop.pipeline.backends.alphapose_setup import TRACKER_WEIGHTS
from tests.pipeline.worker_helpers import events_of, run_detect, worker_env

DOUBLE = Path(__file__).resolve().parents[1] / "alphapose_double"
_ALPHAPOSE_PACKAGES = ("alphapose", "detector", "trackers")


@pytest.fixture
def double(tmp_path, monkeypatch) -> Path:
    """A fresh copy of the double (tests may break it), importable only for this test."""
    home = tmp_path / "AlphaPose"
    shutil.copytree(DOUBLE, home)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield home
    for name in [m for m in sys.modules if m.split(".")[0] in _ALPHAPOSE_PACKAGES]:
        del sys.modules[name]


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="the AlphaPose double needs torch (dev extra)")


@pytest.fixture
def checkpoint(torch, tmp_path) -> Path:
    """Weights for the double's model: its heatmap peak becomes 0.5."""
    path = tmp_path / "double.pth"
    torch.save({"peak": torch.tensor([0.5])}, path)
    return path


def _config(home: Path, checkpoint: Path | str, **options) -> BackendConfig:
    values = {"alphapose_dir": str(home), "config": "configs/coco17.yaml",
              "checkpoint": str(checkpoint), "tracking": "ours", **options}
    return BackendConfig(device="cpu", options={k: str(v) for k, v in values.items()})


def _backend(config: BackendConfig, detector: str = "ours"):
    from ambientpose_desktop.pipeline.backends.alphapose import AlphaPoseBackend
    from ambientpose_desktop.pipeline.backends.alphapose_detectors import BackendBoxes
    from ambientpose_desktop.pipeline.backends.fake import FakeBackend

    boxes = BackendBoxes(FakeBackend(BackendConfig())) if detector == "ours" else None
    backend = AlphaPoseBackend(config, detector=boxes)
    backend.load()
    return backend


FRAMES = [np.full((360, 640, 3), 40 * i, dtype=np.uint8) for i in range(3)]


def test_availability_names_every_missing_setting():
    report = availability("alphapose", BackendConfig())
    assert not report.ok
    for expected in ("alphapose_dir=PATH", "config=PATH", "checkpoint=PATH"):
        assert expected in report.message


def test_availability_accepts_paths_relative_to_the_checkout(double, tmp_path):
    (tmp_path / "any.pth").write_bytes(b"x")
    report = availability("alphapose", _config(double, tmp_path / "any.pth"))
    assert report.ok, report.message


def test_missing_detector_weights_name_the_path_alphapose_expects(double, tmp_path):
    weights = double / "detector/yolo/data/yolov3-spp.weights"
    weights.unlink()
    report = availability("alphapose", _config(double, tmp_path / "x.pth", detector="yolo"))
    assert not report.ok
    assert str(weights) in report.message and "detector=embedded" in report.message
    assert "checkpoint not found" in report.message


def test_alphapose_tracking_without_its_weights_says_where_they_go(double, tmp_path):
    (tmp_path / "any.pth").write_bytes(b"x")
    report = availability("alphapose", _config(double, tmp_path / "any.pth",
                                               tracking="alphapose"))
    assert not report.ok and str(double / TRACKER_WEIGHTS) in report.message


def test_a_mistyped_option_is_refused(double):
    report = availability("alphapose", BackendConfig(options={"fliptest": "1"}))
    assert not report.ok and "fliptest" in report.message


def test_poses_from_our_boxes_land_in_the_crop_with_checkpoint_scores(double, checkpoint):
    backend = _backend(_config(double, checkpoint))
    out = backend.infer(FRAMES)
    assert backend.keypoint_format == "coco17" and not backend.tracks_itself
    from ambientpose_desktop.pipeline.backends.fake import fake_people

    for index, people in enumerate(out):
        expected = fake_people(index, 640, 360)
        assert len(people) == len(expected) == 2
        for person, box_of in zip(people, expected, strict=True):
            assert person.keypoints.shape == (17, 3) and person.idx == -1
            np.testing.assert_allclose(person.box, box_of.box, atol=1e-3)
            np.testing.assert_allclose(person.keypoints[:, 2], 0.5)  # checkpoint was loaded
            assert person.score == pytest.approx(0.5 + box_of.score + 1.25 * 0.5, abs=1e-5)
            x, y, w, h = box_of.box
            # The crop is the box padded by a quarter and to the model's 3:4 aspect.
            half_w = max(w, h * 0.75) * 1.25 / 2
            half_h = max(h, w / 0.75) * 1.25 / 2
            cx, cy = x + w / 2, y + h / 2
            assert np.all(np.abs(person.keypoints[:, 0] - cx) <= half_w + 1e-3)
            assert np.all(np.abs(person.keypoints[:, 1] - cy) <= half_h + 1e-3)
            # Joint 0 peaks in the first heatmap cell: the top-left corner of the crop.
            assert person.keypoints[0, 0] == pytest.approx(cx - half_w + 2 * half_w / 96, abs=0.01)
    backend.close()


@pytest.mark.parametrize(("config", "count"), [("configs/halpe26.yaml", 26),
                                               ("configs/halpe136.yaml", 136)])
def test_halpe_models_give_their_format(double, checkpoint, config, count):
    backend = _backend(_config(double, checkpoint, config=config))
    people = backend.infer(FRAMES[:1])[0]
    assert backend.keypoint_format == f"halpe{count}"
    assert [p.keypoints.shape for p in people] == [(count, 3)] * 2


def test_flip_test_averages_the_mirrored_heatmaps(double, checkpoint):
    plain = _backend(_config(double, checkpoint)).infer(FRAMES[:1])[0]
    flipped = _backend(_config(double, checkpoint, flip="true")).infer(FRAMES[:1])[0]
    # Mirrored peaks fall on other cells, so each averaged peak holds half the score.
    assert np.allclose(plain[0].keypoints[:, 2], 0.5)
    assert np.allclose(flipped[0].keypoints[:, 2], 0.25)


def test_flip_without_compiled_extensions_says_how_to_build_them(double, checkpoint):
    shutil.rmtree(double / "alphapose/utils/roi_align")
    with pytest.raises(BackendUnavailable, match="roi_align.*setup.py build develop"):
        _backend(_config(double, checkpoint, flip="true"))


def test_gpu_out_of_memory_names_the_batch_setting(double, checkpoint):
    small = {"config": "configs/coco17_small_gpu.yaml"}
    backend = _backend(_config(double, checkpoint, pose_batch=4, **small))
    with pytest.raises(AmbientPoseError, match=r"lower pose_batch \(now 4\).*--opt pose_batch"):
        backend.infer(FRAMES[:1])
    # One person per model call fits, and gives the same people.
    one = _backend(_config(double, checkpoint, pose_batch=1, **small)).infer(FRAMES[:1])[0]
    assert len(one) == 2


def test_alphapose_tracker_assigns_idx_when_its_weights_exist(double, checkpoint):
    weights = double / TRACKER_WEIGHTS
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"weights")
    backend = _backend(_config(double, checkpoint, tracking="auto"))
    assert backend.tracks_itself
    assert [p.idx for p in backend.infer(FRAMES[:1])[0]] == [101, 102]


def test_alphapose_tracker_that_does_not_import_names_what_is_missing(double, checkpoint):
    weights = double / TRACKER_WEIGHTS
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"weights")
    # As in AlphaPose's checkout, whose tracker needs the compiled cython_bbox package.
    (double / "trackers/tracker_api.py").write_text("from cython_bbox import bbox_overlaps\n")
    with pytest.raises(BackendUnavailable, match="cython_bbox.*tracking=ours"):
        _backend(_config(double, checkpoint, tracking="auto"))


def test_a_broken_install_names_the_import_that_failed(double, checkpoint):
    (double / "alphapose/utils/config.py").write_text("import easydict_not_installed_here\n")
    with pytest.raises(BackendUnavailable, match="easydict_not_installed_here"):
        _backend(_config(double, checkpoint))


def test_cuda_asked_for_without_a_gpu_is_refused(double, checkpoint, torch):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    config = _config(double, checkpoint)
    config.device = "cuda:0"
    with pytest.raises(BackendUnavailable, match="cuda:0.*--device cpu"):
        _backend(config)


def test_worker_runs_alphapose_detector_on_real_video(double, checkpoint, media, tmp_path,
                                                      torch):
    video = media("videos/mmpose_demo.mp4")
    out = tmp_path / "out"
    opts = {"alphapose_dir": double, "config": "configs/halpe26.yaml",
            "checkpoint": checkpoint, "detector": "yolo", "tracking": "ours", "det_batch": 2}
    args = [video, "-o", out, "--backend", "alphapose", "--device", "cpu"]
    for key, value in opts.items():
        args += ["--opt", f"{key}={value}"]
    proc = run_detect(*args)
    assert proc.returncode == 0, proc.stderr
    # AlphaPose's own prints must not reach stdout, which carries the events.
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert all(line.startswith("{") for line in lines), lines
    events = events_of(proc.stdout)
    names = [e["event"] for e in events]
    assert "started" in names and names[-1] == "finished"
    if not torch.cuda.is_available():  # warned, and ran anyway
        assert any("CUDA not available" in e.get("message", "") for e in events)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["keypoint_format"] == "halpe26" and summary["backend"] == "alphapose"
    entries = json.loads((out / "pose.json").read_text())
    assert len(entries) == 2 * 5
    assert {len(e["keypoints"]) for e in entries} == {26 * 3}
    # Our tracker gave the two people two stable ids.
    assert len({e["idx"] for e in entries}) == 2 and min(e["idx"] for e in entries) >= 0


def test_listing_and_checking_the_backend_imports_no_torch(double, tmp_path):
    """The Settings dialog reads the options and availability in the window's process."""
    (tmp_path / "any.pth").write_bytes(b"x")
    options = {"alphapose_dir": str(double), "config": "configs/coco17.yaml",
               "checkpoint": str(tmp_path / "any.pth")}
    code = ("import sys, json; from ambientpose_desktop.pipeline.backends import "
            "BackendConfig, availability, backend_class; "
            "assert len(backend_class('alphapose').options) == 8; "
            "options = json.loads(sys.argv[1]); "
            "report = availability('alphapose', BackendConfig(options=options)); "
            "assert report.ok, report.message; "
            "bad = [m for m in ('torch', 'alphapose', 'cv2') if m in sys.modules]; "
            "sys.exit(f'imported {bad}' if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(options)],
                          capture_output=True, text=True, env=worker_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr


def _detect_args(video: Path, out: Path, **opts) -> list:
    args = [video, "-o", out, "--backend", "alphapose", "--device", "cpu"]
    for key, value in opts.items():
        args += ["--opt", f"{key}={value}"]
    return args


def test_worker_reports_out_of_memory_as_a_failed_event(double, checkpoint, media, tmp_path):
    args = _detect_args(media("videos/mmpose_demo.mp4"), tmp_path / "out", alphapose_dir=double,
                        config="configs/coco17_small_gpu.yaml", checkpoint=checkpoint,
                        detector="yolo", tracking="ours", pose_batch=8)
    proc = run_detect(*args)
    assert proc.returncode == 1
    failed = events_of(proc.stdout)[-1]
    assert failed["event"] == "failed" and "lower pose_batch (now 8)" in failed["error"]
    assert "Traceback" not in proc.stderr


def test_worker_cancels_within_a_batch(double, checkpoint, media, tmp_path):
    args = _detect_args(media("videos/mmpose_demo.mp4"), tmp_path / "out", alphapose_dir=double,
                        config="configs/coco17_slow.yaml", checkpoint=checkpoint,
                        detector="yolo", tracking="ours", det_batch=1)
    command = [sys.executable, "-m", "ambientpose_desktop", "detect", *map(str, args)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=worker_env())
    for line in proc.stdout:
        if '"event":"progress"' in line:
            proc.send_signal(signal.SIGTERM)
            break
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 143
    assert events_of(rest)[-1]["event"] == "canceled"
    assert not (tmp_path / "out" / "pose.json").exists()


def test_frames_without_people_stay_empty(double, checkpoint):
    from ambientpose_desktop.pipeline.backends.alphapose import AlphaPoseBackend
    from ambientpose_desktop.pipeline.backends.alphapose_detectors import BackendBoxes, Detections
    from ambientpose_desktop.pipeline.backends.fake import FakeBackend

    class EveryOtherFrame(BackendBoxes):
        def detect(self, frames):
            found = super().detect(frames)
            return [d if i % 2 else Detections.empty() for i, d in enumerate(found)]

    backend = AlphaPoseBackend(_config(double, checkpoint),
                               detector=EveryOtherFrame(FakeBackend(BackendConfig())))
    backend.load()
    assert [len(p) for p in backend.infer(FRAMES)] == [0, 2, 0]
    assert backend.infer(FRAMES[:1]) == [[]]


def test_our_boxes_run_on_the_cpu_when_onnxruntime_has_no_cuda():
    """AlphaPose on a GPU with a CPU-only onnxruntime (the usual AlphaPose environment) must
    not fail for the boxes' sake: they are found on the CPU."""
    import onnxruntime

    from ambientpose_desktop.pipeline.backends.alphapose_detectors import boxes_device

    has_cuda = "CUDAExecutionProvider" in onnxruntime.get_available_providers()
    assert boxes_device("cuda:0") == ("cuda:0" if has_cuda else "cpu")
    assert boxes_device("cpu") == "cpu"
