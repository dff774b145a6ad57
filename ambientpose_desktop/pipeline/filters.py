"""Clean up trajectories: drop low-confidence points, fill short gaps, smooth. Raw is kept.

Each tracked identity and keypoint is one time series over the frames between the identity's
first and last appearance. In order:

1. **Drop**: points scored under ``min_score`` become missing (NaN), as if never detected.
2. **Fill**: a run of missing frames bounded by points on both sides and at most ``max_gap``
   frames long is interpolated over the frames' real times (variable frame rate kept):
   ``linear``, or ``spline`` (a cubic spline through the series' points). Longer gaps and
   the ends stay missing, so exactly the gaps of up to ``max_gap`` frames are filled. A frame
   where the person was not detected at all but is filled becomes a new row, its box and
   score interpolated too; ``filled`` marks every made-up point.
3. **Smooth** each unbroken run: ``median`` (robust to single-frame jumps), ``savgol``
   (Savitzky-Golay: keeps peaks and timing; runs shorter than the window stay as they are) or
   ``one-euro`` (Casiez et al., CHI 2012: an adaptive low-pass whose cutoff rises with speed,
   so it removes jitter at rest without lagging fast motion; it uses the real time steps).

Rows without a track id are only dropped-from, never filled or smoothed: they have no
identity across frames. A person whose every point was dropped and not filled is gone.

Why SciPy (``scipy.signal.savgol_filter``, ``scipy.ndimage.median_filter``,
``scipy.interpolate.CubicSpline``) rather than movement's ``filtering`` module: movement's
filters are thin xarray wrappers over the same SciPy calls, and installing movement adds
~820 MB (numba, xarray, napari-video, sleap-io…) to an app that already ships SciPy for its
tracker; they also spread NaN across each window, where we smooth each unbroken run apart.
No well-kept library has the One-Euro filter, a few lines of published formula, so it is here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.filter_settings import FilterSettings
from ambientpose_desktop.core.filtered_layer import FilterRecord, edits_fingerprint, save_filtered
from ambientpose_desktop.core.identities import row_identities
from ambientpose_desktop.core.layers import filter_source_layer, load_layer
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.core.task_folder import TaskFolder

Progress = Callable[[int, int], None]
_AFTER = 2**40  # sort key of filled-in rows: after the frame's own rows, by identity


@dataclass
class FilterResult:
    """The filtered table (frame 0 is ``first_frame``) and which points were filled."""

    table: PoseTable
    filled: np.ndarray  # (rows, K) bool
    first_frame: int = 0


@dataclass
class _Rows:
    """Output rows of one identity (or of the untracked rows), before they are merged."""

    frames: np.ndarray
    keypoints: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray
    idx: np.ndarray
    filled: np.ndarray
    order: np.ndarray  # sort key within a frame: the source row; filled-in rows come last


def filter_table(table: PoseTable, settings: FilterSettings, times: Sequence[float],
                 frames: range | None = None, progress: Progress | None = None) -> FilterResult:
    """Filter ``table`` (``times``: seconds of each frame, ``Summary.frame_times``).

    With ``frames`` (the Filter dialog's live preview) only those frames are computed, from
    enough frames around them that the result equals that of the whole run there (One-Euro
    up to its fading memory); the returned table then starts at ``frames.start``.
    """
    start, stop = (0, table.num_frames) if frames is None else (frames.start, frames.stop)
    lo = max(0, start - settings.context_frames) if frames is not None else 0
    hi = min(table.num_frames, stop + settings.context_frames) if frames is not None else stop
    part = table.frames_between(lo, hi)
    t = np.asarray(times, np.float64)[lo:hi]
    result = _filter_all(part, settings, t, progress or (lambda done, total: None))
    if frames is None:
        return result
    window = result.table.frames_between(start - lo, stop - lo)
    first = int(result.table.offsets[min(start - lo, result.table.num_frames)])
    return FilterResult(window, result.filled[first:first + len(window.idx)], first_frame=start)


def filter_task(folder: Path, settings: FilterSettings,
                progress: Progress | None = None) -> Path:
    """Compute the task's filtered layer from its most processed other layer; raw, linked
    and edited stay as they are. Returns the path of ``pose_filtered.npz``."""
    files = TaskFolder(folder)
    if not files.has_results():
        raise InputError(f"{folder} has no results to filter (summary.json is missing)")
    summary = Summary.read(files.summary)
    source = filter_source_layer(folder)
    edits = edits_fingerprint(folder)
    table = load_layer(folder, summary, source)
    result = filter_table(table, settings, summary.frame_times(table.num_frames),
                          progress=progress)
    save_filtered(files.filtered_table, result.table,
                  FilterRecord(settings, source.value, edits), result.filled)
    return files.filtered_table


def _filter_all(table: PoseTable, settings: FilterSettings, times: np.ndarray,
                progress: Progress) -> FilterResult:
    ids = row_identities(table)
    frame_of = table.frame_of_row()
    tracked = [int(i) for i in np.unique(ids[ids >= 0])]
    parts = [_untracked(table, np.flatnonzero(ids < 0), frame_of, settings)]
    for done, identity in enumerate(tracked, 1):
        parts.append(_identity(table, np.flatnonzero(ids == identity), frame_of, times,
                               settings, identity))
        progress(done, len(tracked))
    if not tracked:
        progress(0, 0)
    return _merge(parts, table.num_frames, table.num_keypoints)


def _untracked(table: PoseTable, rows: np.ndarray, frame_of: np.ndarray,
               settings: FilterSettings) -> _Rows:
    kp = table.keypoints[rows].astype(np.float32, copy=True)
    low = kp[:, :, 2] < settings.min_score
    kp[low] = (np.nan, np.nan, 0.0)
    keep = ~low.all(axis=1)
    return _Rows(frame_of[rows][keep], kp[keep], table.boxes[rows][keep],
                 table.scores[rows][keep], table.idx[rows][keep],
                 np.zeros(kp[keep].shape[:2], bool), rows[keep].astype(np.int64))


def _identity(table: PoseTable, rows: np.ndarray, frame_of: np.ndarray, times: np.ndarray,
              settings: FilterSettings, identity: int) -> _Rows:
    frames = frame_of[rows]
    first, last = int(frames.min()), int(frames.max())
    span = last - first + 1
    order = np.lexsort((table.scores[rows], frames))  # the best of duplicates comes last
    at = frames[order] - first
    xy = np.full((span, table.num_keypoints, 2), np.nan)
    score = np.full((span, table.num_keypoints), np.nan)
    boxes = np.full((span, 4), np.nan)
    person = np.full(span, np.nan)
    source_row = np.full(span, _AFTER + identity, np.int64)
    source_row[at] = rows[order]
    xy[at] = table.keypoints[rows[order], :, :2]
    score[at] = table.keypoints[rows[order], :, 2]
    boxes[at] = table.boxes[rows[order]]
    person[at] = table.scores[rows[order]]
    present = ~np.isnan(person)
    t = times[first:last + 1]

    xy[score < settings.min_score] = np.nan
    filled = np.zeros(score.shape, bool)
    for k in range(table.num_keypoints):
        _fill(xy[:, k], score[:, k], filled[:, k], t, settings)
    _smooth(xy, t, settings)
    score[np.isnan(xy[:, :, 0])] = 0.0

    keep = ~np.isnan(xy[:, :, 0]).all(axis=1)
    new = keep & ~present
    if new.any():  # frames the person was filled into: box and score between the neighbours
        seen = np.flatnonzero(present)
        for c in range(4):
            boxes[new, c] = np.interp(t[new], t[seen], boxes[seen, c])
        person[new] = np.interp(t[new], t[seen], person[seen])
    keypoints = np.concatenate([xy, score[:, :, None]], axis=2)[keep].astype(np.float32)
    count = int(keep.sum())
    return _Rows(np.flatnonzero(keep) + first, keypoints, boxes[keep].astype(np.float32),
                 person[keep].astype(np.float32), np.full(count, identity, np.int32),
                 filled[keep], source_row[keep])


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of every run of True in ``mask``."""
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _fill(xy: np.ndarray, score: np.ndarray, filled: np.ndarray, t: np.ndarray,
          settings: FilterSettings) -> None:
    """Interpolate, in place, the interior gaps of at most ``max_gap`` frames."""
    valid = ~np.isnan(xy[:, 0])
    gaps = [(a, b) for a, b in _runs(~valid)
            if a > 0 and b < len(valid) and b - a <= settings.max_gap]
    if not gaps:
        return
    at = np.concatenate([np.arange(a, b) for a, b in gaps])
    known = np.flatnonzero(valid)
    if settings.interpolation == "spline" and known.size >= 4:
        from scipy.interpolate import CubicSpline

        xy[at] = CubicSpline(t[known], xy[known], axis=0)(t[at])
    else:
        for c in range(2):
            xy[at, c] = np.interp(t[at], t[known], xy[known, c])
    score[at] = np.interp(t[at], t[known], score[known])
    filled[at] = True


def _smooth(xy: np.ndarray, t: np.ndarray, settings: FilterSettings) -> None:
    """Smooth, in place, each unbroken run of each keypoint of ``xy`` (T, K, 2)."""
    if settings.method == "one-euro":
        xy[:] = one_euro(xy, t, settings.min_cutoff, settings.beta)
        return
    if settings.method == "none":
        return
    # keypoints missing in the same frames share their runs: one SciPy call for all of them
    runs: dict[tuple[int, int], list[int]] = defaultdict(list)
    for k in range(xy.shape[1]):
        for run in _runs(~np.isnan(xy[:, k, 0])):
            runs[run].append(k)
    for (a, b), keypoints in runs.items():
        run = xy[a:b, keypoints]
        if settings.method == "median":
            from scipy.ndimage import median_filter

            xy[a:b, keypoints] = median_filter(run, size=(settings.window, 1, 1),
                                               mode="nearest")
        elif b - a >= settings.window:
            from scipy.signal import savgol_filter

            xy[a:b, keypoints] = savgol_filter(run, settings.window, settings.polyorder,
                                               axis=0, mode="interp")


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


def one_euro(values: np.ndarray, t: np.ndarray, min_cutoff: float, beta: float,
             d_cutoff: float = 1.0) -> np.ndarray:
    """The One-Euro filter along the first axis of ``values``, sampled at times ``t`` (s,
    increasing). Missing values (NaN) stay missing and the filter starts afresh after them."""
    out = np.empty_like(values)
    out[0] = estimate = values[0]
    speed = np.zeros_like(values[0])
    for i in range(1, len(values)):
        dt = max(float(t[i] - t[i - 1]), 1e-6)
        x = values[i]
        a_d = _alpha(d_cutoff, dt)
        new_speed = a_d * (x - estimate) / dt + (1.0 - a_d) * speed
        a = _alpha(min_cutoff + beta * np.abs(new_speed), dt)
        new_estimate = a * x + (1.0 - a) * estimate
        restart = np.isnan(estimate) & ~np.isnan(x)
        estimate = np.where(restart, x, new_estimate)
        speed = np.where(restart, 0.0, new_speed)
        out[i] = estimate
    return out


def _merge(parts: list[_Rows], num_frames: int, num_keypoints: int) -> FilterResult:
    frames = np.concatenate([p.frames for p in parts]).astype(np.int64)
    order = np.lexsort((np.concatenate([p.order for p in parts]), frames))
    counts = np.bincount(frames, minlength=num_frames)[:num_frames]
    offsets = np.zeros(num_frames + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])

    def joined(name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
        values = [getattr(p, name) for p in parts]
        return np.concatenate(values).reshape(-1, *shape).astype(dtype)[order]

    table = PoseTable(offsets=offsets,
                      keypoints=joined("keypoints", (num_keypoints, 3), np.float32),
                      boxes=joined("boxes", (4,), np.float32),
                      scores=joined("scores", (), np.float32),
                      idx=joined("idx", (), np.int32))
    return FilterResult(table, joined("filled", (num_keypoints,), bool))
