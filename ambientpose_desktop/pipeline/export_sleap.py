"""SLEAP predictions (``.slp``) and SLEAP analysis HDF5, written by sleap-io.

sleap-io is the SLEAP team's own reader and writer of these files, so what it writes opens in
SLEAP, in sleap-io and in movement. Each person row becomes a ``PredictedInstance`` with its
keypoint scores and person score; each track id a ``Track`` named ``person_<idx>``
(``core/identities.py``); rows without a track id are instances without a track. The video
is referenced by path (not embedded), with its frame count, size and fps recorded so the file
opens even where the video is not. Keypoints the filtered layer dropped are NaN, SLEAP's
"not visible".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# The modules themselves, not ``sleap_io``'s lazy names: PyInstaller then sees what to carry.
from sleap_io.io.main import save_analysis_h5, save_slp
from sleap_io.model.instance import PredictedInstance, Track
from sleap_io.model.labeled_frame import LabeledFrame
from sleap_io.model.labels import Labels
from sleap_io.model.skeleton import Skeleton
from sleap_io.model.video import Video

from ambientpose_desktop.core.atomic import atomic_path
from ambientpose_desktop.core.identities import identity_name
from ambientpose_desktop.core.keypoints import get_format
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.pipeline.export import ExportRun


def sleap_labels(table: PoseTable, summary: Summary, run: ExportRun) -> Labels:
    """The table as sleap-io ``Labels`` over one video and one skeleton."""
    fmt = get_format(summary.keypoint_format)
    names = list(fmt.names[: table.num_keypoints])
    skeleton = Skeleton(nodes=names, edges=[(names[a], names[b]) for a, b in fmt.skeleton
                                                if max(a, b) < len(names)], name=fmt.name)
    video = _video(summary, table.num_frames)
    tracks = {int(i): Track(name=identity_name(int(i)))
              for i in np.unique(table.idx) if int(i) >= 0}
    frames = []
    for index in range(table.num_frames):
        if index % 500 == 0:
            run.check()
            run.progress(index, table.num_frames)
        rows = table.rows(index)
        if rows.start == rows.stop:
            continue
        instances = [
            PredictedInstance.from_numpy(
                points_data=table.keypoints[r, :, :2], point_scores=table.keypoints[r, :, 2],
                score=float(table.scores[r]), skeleton=skeleton,
                track=tracks.get(int(table.idx[r])))
            for r in range(rows.start, rows.stop)
        ]
        frames.append(LabeledFrame(video=video, frame_idx=index, instances=instances))
    labels = Labels(labeled_frames=frames, videos=[video], skeletons=[skeleton],
                        tracks=list(tracks.values()))
    labels.provenance["source"] = f"AmbientPose ({summary.backend})"
    return labels


def _video(summary: Summary, frames: int) -> Video:
    source = summary.source
    names = source.image_names
    filename: str | list[str] = (
        [str(Path(source.path) / name) for name in names] if names else source.path)
    return Video(filename=filename, open_backend=False, backend_metadata={
        "shape": (source.frame_count or frames, source.height, source.width, 3), "fps": source.fps,
        "grayscale": False})


def write_slp(table: PoseTable, summary: Summary, run: ExportRun) -> None:
    labels = sleap_labels(table, summary, run)
    with atomic_path(run.output, suffix=".part.slp") as tmp:
        save_slp(labels, str(tmp), verbose=False)
    run.progress(table.num_frames, table.num_frames)


def write_analysis_h5(table: PoseTable, summary: Summary, run: ExportRun) -> None:
    """SLEAP's analysis HDF5 (``tracks``: tracks × 2 × nodes × frames, MATLAB order, as SLEAP
    exports it), with every frame of the source."""
    labels = sleap_labels(table, summary, run)
    with atomic_path(run.output, suffix=".part.h5") as tmp:
        save_analysis_h5(labels, str(tmp), all_frames=True)
    run.progress(table.num_frames, table.num_frames)
