"""DeepLabCut multi-animal predictions (``.h5``, or ``.csv`` when the file name says so).

A DeepLabCut predictions file *is* a pandas DataFrame: one row per frame (index: the frame
number), columns ``scorer / individuals / bodyparts / coords`` with ``x``, ``y`` and
``likelihood`` for each, NaN where an individual is absent; DeepLabCut writes it with pandas
(``to_hdf(key="df_with_missing", format="table")`` and ``to_csv``) and reads it back with
``pd.read_hdf``. We write it the same way. Individuals are ``person_<idx>``
(``core/identities.py``), the scorer ``AmbientPose_<backend>``.

Why not a library's DLC writer: sleap-io's writes DeepLabCut *training labels* (rows named by
image path), which movement and DeepLabCut's analysis tools refuse as predictions; movement's
``save_poses.to_dlc_file`` writes predictions, but installing movement adds ~820 MB (numba,
xarray, napari-video…) for what is these few lines of pandas. movement's reader
(``load_poses.from_dlc_file``), which checks the layout, reads both files back in the tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ambientpose_desktop.core.atomic import atomic_path
from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.identities import identity_arrays
from ambientpose_desktop.core.keypoints import get_format
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.core.results import KEYPOINT_DIGITS
from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.pipeline.export import ExportRun

LEVELS = ["scorer", "individuals", "bodyparts", "coords"]
DLC_KEY = "df_with_missing"


def dlc_frame(table: PoseTable, summary: Summary) -> pd.DataFrame:
    """The table as DeepLabCut's multi-animal predictions DataFrame."""
    names = list(get_format(summary.keypoint_format).names[: table.num_keypoints])
    arrays = identity_arrays(table)
    columns = pd.MultiIndex.from_product(
        [[f"AmbientPose_{summary.backend}"], arrays.names, names, ["x", "y", "likelihood"]],
        names=LEVELS)
    # to the JSON's precision (core/results.py), so the .csv carries no float32 noise either
    values = np.round(arrays.keypoints.astype(np.float64), KEYPOINT_DIGITS)
    values = values.reshape(table.num_frames, -1)
    return pd.DataFrame(values, index=np.arange(table.num_frames), columns=columns)


def write_dlc(table: PoseTable, summary: Summary, run: ExportRun) -> None:
    suffix = run.output.suffix.lower()
    if suffix not in (".h5", ".csv"):
        raise InputError(f"a DeepLabCut file ends in .h5 or .csv, not {run.output.name!r}")
    frame = dlc_frame(table, summary)
    run.check()
    with atomic_path(run.output, suffix=".part" + suffix) as tmp:
        if suffix == ".csv":
            frame.to_csv(tmp)
        else:
            frame.to_hdf(tmp, key=DLC_KEY, format="table", mode="w")
    run.progress(1, 1)
