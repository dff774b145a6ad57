"""Predictions made by other tools, read with their own ecosystem's readers: SLEAP ``.slp``
and SLEAP analysis HDF5 (sleap-io), DeepLabCut ``.h5`` / ``.csv`` (pandas, as DeepLabCut
writes and reads them; ``foreign_dlc.py``).

Each becomes a ``ForeignPoses``: our results table, the keypoint format the file's skeleton
names (``core.keypoints.format_for_names``), the identities' names to keep
(``core.identities.identities_of_names``) and the video the file names, if it names one.
``pipeline/open_results.py`` gives it a folder of its own. The readers come from the
optional ``interchange`` extra: without it, ``MissingExtra`` says in one line what to install.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.identities import identities_of_names
from ambientpose_desktop.core.keypoints import KeypointFormat, format_for_names
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.pipeline.export import MissingExtra

PREDICTION_SUFFIXES = (".slp", ".h5", ".csv")
EXTRA = "interchange"


@dataclass
class ForeignPoses:
    table: PoseTable  # frames up to the last one with a pose, at least
    keypoint_format: str
    names: dict[int, str] = field(default_factory=dict)  # identity -> the file's name for it
    video: Path | None = None  # the video the file itself names (may be gone)


def read_predictions(path: Path) -> ForeignPoses:
    """The predictions in ``path`` (``.slp``, SLEAP analysis or DeepLabCut ``.h5``, DeepLabCut
    ``.csv``); ``InputError`` in one line for a file that is none of these."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            from ambientpose_desktop.pipeline.foreign_dlc import read_dlc

            return read_dlc(path)
        from ambientpose_desktop.pipeline.foreign_sleap import is_analysis_h5, read_sleap

        if suffix == ".slp" or is_analysis_h5(path):
            return read_sleap(path)
        from ambientpose_desktop.pipeline.foreign_dlc import read_dlc

        return read_dlc(path)
    except ImportError as exc:
        missing = (exc.name or "tables").split(".")[0]
        raise MissingExtra(f"opening {path.name} needs the {EXTRA} extra ({missing} is "
                           f"missing): pip install 'ambientpose-desktop[{EXTRA}]'") from None


def one_line(exc: BaseException) -> str:
    """A reader's error in one line (HDF5's carry a back trace of C frames)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def keypoint_mapping(path: Path, names: list[str]) -> tuple[KeypointFormat, np.ndarray]:
    """The format of the file's keypoint ``names`` and, for each, its index in the format."""
    try:
        fmt, index = format_for_names(names)
    except KeyError as exc:
        raise InputError(f"cannot open {path.name}: {exc.args[0]}") from None
    return fmt, np.asarray(index, np.int64)


def table_of_instances(path: Path, frames: list[int], points: list[np.ndarray],
                       scores: list[float], row_tracks: list[int], tracks: list[str],
                       keypoint_names: list[str]) -> ForeignPoses:
    """Rows given one by one (frame, keypoints (K, 3) in the file's node order, person
    score, index into ``tracks`` or -1 for none) as our table, in our format's order."""
    if not frames:
        raise InputError(f"{path.name} holds no poses")
    fmt, index = keypoint_mapping(path, keypoint_names)
    ids, names = identities_of_names(tracks)
    keypoints = np.zeros((len(frames), fmt.num_keypoints, 3), np.float32)
    keypoints[:, index] = np.stack(points)
    keypoints[..., 2] = np.nan_to_num(keypoints[..., 2])
    keypoints[np.isnan(keypoints[..., :2]).any(axis=2), 2] = 0.0  # not visible: score 0
    idx = np.asarray([ids[t] if t >= 0 else -1 for t in row_tracks], np.int32)
    table = PoseTable.from_rows(np.asarray(frames), keypoints, np.asarray(scores), idx,
                                max(frames) + 1)
    return ForeignPoses(table, fmt.name, names)
