"""SLEAP predictions (``.slp``) and SLEAP analysis HDF5, read by sleap-io, SLEAP's own reader.

Both come back as sleap-io ``Labels``; each instance is one row of our table. A predicted
instance brings its keypoint scores and score; one placed by hand (a user instance) scores
1 where its points are visible, and the prediction it was corrected from is left out, as
SLEAP shows the correction. Tracks are identities (``core.identities.identities_of_names``).
The video is the one the file references (relative to the file when not absolute; the
common folder of an image sequence).
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

# The modules themselves, not ``sleap_io``'s lazy names: PyInstaller then sees what to carry.
from sleap_io.io.analysis_h5 import is_analysis_h5_file
from sleap_io.io.main import load_analysis_h5, load_slp
from sleap_io.model.instance import PredictedInstance
from sleap_io.model.labels import Labels

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.pipeline.foreign_poses import (
    ForeignPoses,
    one_line,
    table_of_instances,
)


def is_analysis_h5(path: Path) -> bool:
    """SLEAP's own test (its ``track_occupancy``); ``InputError`` for a file not HDF5 at all."""
    if not h5py.is_hdf5(str(path)):
        raise InputError(f"{path.name} is not an HDF5 file (a SLEAP analysis or DeepLabCut "
                         f".h5 is one)")
    return is_analysis_h5_file(str(path))


def read_sleap(path: Path) -> ForeignPoses:
    try:
        labels = (load_slp(str(path), open_videos=False) if path.suffix.lower() == ".slp"
                  else load_analysis_h5(str(path)))
    except Exception as exc:  # noqa: BLE001 - any damage: say so in one line
        raise InputError(f"cannot read {path.name} as a SLEAP file: {one_line(exc)}") from None
    if len(labels.skeletons) != 1 or len(labels.videos) > 1:
        raise InputError(f"{path.name} holds {len(labels.videos)} videos and "
                         f"{len(labels.skeletons)} skeletons; AmbientPose opens the "
                         f"predictions of one video with one skeleton")
    poses = _table(path, labels)
    poses.video = _video_of(path, labels)
    return poses


def _table(path: Path, labels: Labels) -> ForeignPoses:
    track_index = {id(t): i for i, t in enumerate(labels.tracks)}
    frames, points, scores, tracks = [], [], [], []
    for lf in labels.labeled_frames:
        corrected = {id(i.from_predicted) for i in lf.user_instances if i.from_predicted}
        for inst in lf.instances:
            if id(inst) in corrected:
                continue
            if isinstance(inst, PredictedInstance):
                kp, score = inst.numpy(scores=True), float(inst.score)
            else:
                xy = inst.numpy()
                kp = np.concatenate([xy, np.isfinite(xy[:, :1]).astype(xy.dtype)], axis=1)
                score = 1.0
            if np.isnan(kp[:, :2]).all():
                continue
            frames.append(int(lf.frame_idx))
            points.append(kp)
            scores.append(score)
            tracks.append(track_index[id(inst.track)] if inst.track is not None else -1)
    return table_of_instances(path, frames, points, scores, tracks,
                              [t.name for t in labels.tracks], labels.skeleton.node_names)


def _video_of(path: Path, labels: Labels) -> Path | None:
    if not labels.videos:
        return None
    filename = labels.videos[0].filename
    if isinstance(filename, list):  # an image sequence: the folder of its images
        filename = str(Path(filename[0]).parent) if filename else ""
    if not filename:
        return None
    video = Path(filename)
    return video if video.is_absolute() else path.parent / video
