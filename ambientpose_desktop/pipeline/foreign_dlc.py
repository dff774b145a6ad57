"""DeepLabCut predictions (``.h5`` / ``.csv``), read as DeepLabCut writes and reads them.

A DeepLabCut predictions file is a pandas DataFrame (``export_dlc.py`` says more): one row a
frame, columns ``scorer / individuals / bodyparts / coords`` (single-animal files have no
``individuals``), ``x``, ``y`` and ``likelihood`` for each, NaN where an individual is absent.
DeepLabCut itself reads it back with ``pd.read_hdf`` (and the CSV with its header rows), and
so do we; the CSV's levels are told by the first cell of each header row, as movement does.
sleap-io's ``load_dlc`` is not used: it reads DeepLabCut *training labels* (rows named by
image), drops the likelihoods and skips frames without their image files.

An individual is there in a frame when any of its keypoints is; its score is the mean
likelihood of those keypoints (the format has no person score).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.pipeline.foreign_poses import (
    ForeignPoses,
    one_line,
    table_of_instances,
)

_MULTI = ["scorer", "individuals", "bodyparts", "coords"]
_SINGLE = ["scorer", "bodyparts", "coords"]
_SINGLE_NAME = "individual_0"  # the one animal of a single-animal file


def read_dlc(path: Path) -> ForeignPoses:
    frame = _read_csv(path) if path.suffix.lower() == ".csv" else _read_h5(path)
    levels = [str(n) for n in frame.columns.names]
    if levels == _SINGLE:
        frame = pd.concat({_SINGLE_NAME: frame.droplevel(0, axis=1)}, axis=1)
    elif levels == _MULTI:
        frame = frame.droplevel(0, axis=1)
    else:
        raise InputError(f"{path.name} is not DeepLabCut predictions (its column levels are "
                         f"{levels}, not {_MULTI})")
    if not pd.api.types.is_integer_dtype(frame.index):
        raise InputError(f"{path.name} looks like DeepLabCut training labels (rows named by "
                         f"image), not predictions over a video's frames")
    individuals = list(dict.fromkeys(frame.columns.get_level_values(0)))
    bodyparts = list(dict.fromkeys(frame.columns.get_level_values(1)))
    try:
        values = frame.reindex(columns=pd.MultiIndex.from_product(
            [individuals, bodyparts, ["x", "y", "likelihood"]])).to_numpy(np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{path.name}: its values are not numbers ({exc})") from None
    values = values.reshape(len(frame), len(individuals), len(bodyparts), 3)
    present = ~np.isnan(values[..., 0]).all(axis=2)  # (frames, individuals)
    rows, cols = np.nonzero(present)
    points = values[rows, cols]
    with np.errstate(invalid="ignore"):
        seen = ~np.isnan(points[..., 0])
        scores = np.where(seen, np.nan_to_num(points[..., 2]), 0).sum(1) / seen.sum(1)
    return table_of_instances(path, frame.index.to_numpy()[rows].astype(int).tolist(),
                              list(points), scores.tolist(), cols.tolist(), individuals,
                              bodyparts)


def _read_h5(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_hdf(path)
    except ImportError:
        raise
    except Exception as exc:  # noqa: BLE001 - any damage: say so in one line
        raise InputError(f"cannot read {path.name} as a SLEAP analysis or DeepLabCut "
                         f"file: {one_line(exc)}") from None
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{path.name} is not DeepLabCut predictions (no table in it)")
    return frame


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        with open(path, encoding="utf-8") as fh:
            levels = [fh.readline().split(",")[0].strip() for _ in range(4)]
        if levels[:3] == _SINGLE:
            levels = _SINGLE
        if levels != _MULTI and levels != _SINGLE:
            raise InputError(f"{path.name} is not DeepLabCut predictions (its header rows "
                             f"start {levels}, not {_MULTI})")
        frame = pd.read_csv(path, header=list(range(len(levels))))
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
        raise InputError(f"cannot read {path.name} as DeepLabCut predictions: "
                         f"{one_line(exc)}") from None
    # the index set after reading, as movement does: a first row of NaN stays a row
    frame = frame.set_index(frame.columns[0])
    frame.index.name = None
    frame.columns = pd.MultiIndex.from_tuples(frame.columns, names=levels)
    return frame
