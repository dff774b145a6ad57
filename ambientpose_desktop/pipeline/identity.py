"""Identities, from the model's poses to the saved layers: what the worker runs for them.

Per frame, between the model and the writers (``identity_stages``): pose NMS, then the online
tracker for a video or frame sequence, or an id per person for unrelated stills
(``pipeline.stills``). Per frame, beside the results table: ``appearance.AppearanceSink``.
At the end (``link_layers``): the offline re-linking pass over the whole run, and the two
layers it leaves, raw (``pose_raw.npz``) and linked (``pose.npz`` / ``pose.json``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ambientpose_desktop.core.keypoints import KeypointFormat
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.core.raw_layer import RawLayer
from ambientpose_desktop.core.results import write_alphapose
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.pipeline.frame_stages import FrameStage, TrackStage
from ambientpose_desktop.pipeline.pose_nms import PoseNmsStage
from ambientpose_desktop.pipeline.relink import Relinked, relink
from ambientpose_desktop.pipeline.stills import StillIdsStage

_FALLBACK_FPS = 30.0


def identity_stages(fmt: KeypointFormat, fps: float, conf: float, sequence: bool = True,
                    tracks_itself: bool = False, tap: FrameStage | None = None
                    ) -> list[FrameStage]:
    """The frame stages that give every person an id: pose NMS, then ByteTrack when
    ``sequence`` (a video, or an image folder that ``stills.tracked_as_sequence``), else an
    id per person; no id stage when the backend ``tracks_itself``. ``tap`` goes between the
    two: it sees the people before they get ids (what a checkpoint records)."""
    stages: list[FrameStage] = [PoseNmsStage(fmt), *([tap] if tap is not None else [])]
    if tracks_itself:
        return stages
    if not sequence:
        return [*stages, StillIdsStage()]
    from ambientpose_desktop.pipeline.tracking import PoseTracker

    return [*stages, TrackStage(PoseTracker(fps=fps or _FALLBACK_FPS, conf=conf))]


@dataclass
class IdentityLayers:
    raw: RawLayer
    linked: PoseTable
    report: Relinked | None  # None when nothing was re-linked (stills, a backend's own ids)
    relink_s: float

    def save(self, folder: TaskFolder, image_names: list[str] | None) -> list[str]:
        """Write the raw layer, then the linked one (JSON, then the table: a table older than
        its JSON is taken for stale and made again from it); the names written."""
        self.raw.save(folder.raw_table)
        write_alphapose(folder.pose_json, self.linked.frames(), image_names)
        self.linked.save(folder.pose_table)
        return [folder.raw_table.name, folder.pose_table.name, folder.pose_json.name]


def link_layers(table: PoseTable, appearance: np.ndarray, times, fmt: KeypointFormat,
                fps: float, people: int | None = None, relinked: bool = True) -> IdentityLayers:
    """The layers of a finished run: ``table`` (the online tracker's output, one row per
    person) with its ``appearance`` descriptors and frame ``times`` (seconds; frames without
    times, as in image folders, are spaced at ``fps``). ``relinked=False`` (stills, a
    backend's own tracker) keeps the ids as they are."""
    if not relinked:
        return IdentityLayers(RawLayer(table, appearance, table.idx.copy()), table, None, 0.0)
    times = np.asarray(times, np.float64)
    if len(times) != table.num_frames or np.any(np.diff(times) <= 0):
        times = np.arange(table.num_frames) / (fps or _FALLBACK_FPS)
    started = time.perf_counter()
    report = relink(table, appearance, times, fmt, people)
    elapsed = time.perf_counter() - started
    return IdentityLayers(RawLayer(table, appearance, report.idx), report.apply(table), report,
                          elapsed)
