"""What the worker runs for identities, on frames in memory: backend → pose NMS → tracker →
appearance → re-linking. The tests and ``benchmarks/tracking_quality.py`` use it, so what they
measure does not depend on how the worker's loop is arranged."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ambientpose_desktop.core.keypoints import get_format
from ambientpose_desktop.core.pose_table import PoseTableBuilder
from ambientpose_desktop.pipeline.appearance import AppearanceSink
from ambientpose_desktop.pipeline.frame_stages import FrameResult, flush_stages, run_stages
from ambientpose_desktop.pipeline.identity import IdentityLayers, identity_stages, link_layers
from ambientpose_desktop.pipeline.pose_nms import PoseNmsStage


@dataclass
class IdentityRun:
    layers: IdentityLayers
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step, all frames


class _Timed:
    """A frame stage whose time is added to ``timings[name]``."""

    def __init__(self, stage, name: str, timings: dict[str, float]) -> None:
        self._stage, self._name, self._timings = stage, name, timings

    def feed(self, item):
        started = time.perf_counter()
        out = self._stage.feed(item)
        self._timings[self._name] += time.perf_counter() - started
        return out

    def flush(self):
        started = time.perf_counter()
        out = self._stage.flush()
        self._timings[self._name] += time.perf_counter() - started
        return out


def run_identity(frames: Iterable[tuple[int, float, np.ndarray]], backend, fps: float,
                 people: int | None = None, sequence: bool = True, nms: bool = True,
                 relinked: bool = True, conf: float = 0.25) -> IdentityRun:
    """``frames`` as a ``FrameSource`` yields them, through ``backend`` (anything with
    ``infer``, ``keypoint_format`` and ``batch_size``) and the identity stages."""
    fmt = get_format(backend.keypoint_format)
    timings = {"infer_s": 0.0, "nms_s": 0.0, "track_s": 0.0, "describe_s": 0.0}
    names = ["nms_s", "track_s"]
    stages = [_Timed(stage, name, timings) for stage, name in
              zip(identity_stages(fmt, fps, conf, sequence), names, strict=True)
              if nms or not isinstance(stage, PoseNmsStage)]
    table = PoseTableBuilder(fmt.num_keypoints)
    appearance = AppearanceSink(fmt)
    times: list[float] = []

    def sink(items: list[FrameResult]) -> None:
        for item in items:
            table.add(item.persons)
            started = time.perf_counter()
            appearance.add(item)
            timings["describe_s"] += time.perf_counter() - started
            times.append(item.timestamp)

    batch: list[tuple[int, float, np.ndarray]] = []
    for frame in [*frames, None]:
        if frame is not None:
            batch.append(frame)
        if batch and (frame is None or len(batch) >= backend.batch_size):
            started = time.perf_counter()
            people_per_frame = backend.infer([image for _, _, image in batch])
            timings["infer_s"] += time.perf_counter() - started
            sink(run_stages(stages, [FrameResult(i, ts, image, persons) for (i, ts, image),
                                     persons in zip(batch, people_per_frame, strict=True)]))
            batch = []
    sink(flush_stages(stages))
    layers = link_layers(table.build(), appearance.build(), times, fmt, fps, people,
                         relinked=relinked and sequence)
    timings["relink_s"] = layers.relink_s
    return IdentityRun(layers, timings)
