"""Filters on a real clip: smoothing lowers jitter and stays near raw, gap filling fills exactly
the gaps of up to N frames, a previewed range equals the whole run, and the filtered layer is
a layer of its own (raw kept, parameters inside, stale once edits change)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from ambientpose_desktop.core.filter_settings import FilterSettings
from ambientpose_desktop.core.filtered_layer import read_filled, read_record
from ambientpose_desktop.core.identities import identity_arrays
from ambientpose_desktop.core.layers import Layer, default_layer
from ambientpose_desktop.core.pose_table import PoseTable, load_task_table
from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.pipeline.export import export_task
from ambientpose_desktop.pipeline.filters import filter_table
from tests.pipeline.worker_helpers import worker_env


@pytest.fixture(scope="module")
def clip(processed_task):
    summary = Summary.read(processed_task / "summary.json")
    table = load_task_table(processed_task, summary)
    return table, summary.frame_times(table.num_frames)


@pytest.fixture
def task(processed_task, tmp_path):
    """A copy of the shared task folder, for tests that add layers to it."""
    return shutil.copytree(processed_task, tmp_path / "task")


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ambientpose_desktop", *map(str, args)],
                          capture_output=True, text=True, timeout=300, env=worker_env())


def _acceleration(table: PoseTable) -> float:
    """Mean frame-to-frame acceleration (px/frame^2) of every keypoint of every identity."""
    xy = identity_arrays(table).keypoints[..., :2]
    return float(np.nanmean(np.linalg.norm(np.diff(xy, 2, axis=0), axis=-1)))


@pytest.mark.parametrize("method", ["savgol", "median", "one-euro"])
def test_smoothing_lowers_acceleration_and_stays_near_raw(clip, method):
    table, times = clip
    smoothed = filter_table(table, FilterSettings(method=method, max_gap=0), times).table
    assert smoothed.num_rows == table.num_rows
    np.testing.assert_array_equal(smoothed.idx, table.idx)
    before, after = _acceleration(table), _acceleration(smoothed)
    moved = np.linalg.norm(smoothed.keypoints[..., :2] - table.keypoints[..., :2], axis=-1)
    print(f"{method}: acceleration {before:.2f} -> {after:.2f} px/frame^2 "
          f"({100 * (1 - after / before):.0f}% lower), {moved.mean():.2f} px from raw on average")
    assert after < 0.7 * before
    assert moved.mean() < 6.0


def _longest_track(table: PoseTable) -> tuple[int, np.ndarray]:
    ids, counts = np.unique(table.idx, return_counts=True)
    track = int(ids[np.argmax(counts)])
    return track, np.unique(table.frame_of_row()[table.idx == track])


def test_gap_filling_fills_exactly_the_gaps_up_to_max_gap(clip):
    table, times = clip
    track, frames = _longest_track(table)
    assert len(frames) >= 50
    start = int(frames[2])
    gaps = {1: start + 2, 3: start + 6, 5: start + 12, 6: start + 20, 9: start + 30}
    removed = {f for length, first in gaps.items() for f in range(first, first + length)}
    assert removed <= set(frames.tolist())
    holed = table.select(~((table.idx == track) & np.isin(table.frame_of_row(), list(removed))))
    result = filter_table(holed, FilterSettings(method="none", max_gap=5), times)
    out = result.table
    mine = out.idx == track
    got = set(out.frame_of_row()[mine].tolist())
    filled_frames = {f for length, first in gaps.items() if length <= 5
                     for f in range(first, first + length)}
    assert got == (set(frames.tolist()) - removed) | filled_frames  # those gaps, no others
    at = {int(f): int(r) for f, r in zip(out.frame_of_row()[mine], np.flatnonzero(mine),
                                         strict=True)}
    assert result.filled[[at[f] for f in filled_frames]].all()
    assert result.filled[mine].sum() == len(filled_frames) * out.num_keypoints
    before, after = gaps[3] - 1, gaps[3] + 3  # linear in time across the 3-frame gap
    for f in range(gaps[3], gaps[3] + 3):
        w = (times[f] - times[before]) / (times[after] - times[before])
        expected = ((1 - w) * out.keypoints[at[before], :, :2]
                    + w * out.keypoints[at[after], :, :2])
        np.testing.assert_allclose(out.keypoints[at[f], :, :2], expected, atol=1e-3)


def test_low_scores_are_dropped_and_their_short_gaps_filled(clip):
    table, times = clip
    track, frames = _longest_track(table)
    rows = np.flatnonzero(table.idx == track)
    k = int(np.argmax(table.keypoints[rows, :, 2].min(axis=0)))  # always confident there
    assert table.keypoints[rows, k, 2].min() >= 0.3
    start = int(frames[5])
    short, long = range(start, start + 4), range(start + 8, start + 15)
    low = table.keypoints.copy()
    low[rows[np.isin(table.frame_of_row()[rows], [*short, *long])], k, 2] = 0.1
    changed = PoseTable(table.offsets, low, table.boxes, table.scores, table.idx)
    result = filter_table(changed, FilterSettings(method="none", max_gap=5, min_score=0.3),
                          times)
    out = result.table
    mine = np.flatnonzero(out.idx == track)
    at = dict(zip(out.frame_of_row()[mine].tolist(), mine.tolist(), strict=True))
    assert result.filled[[at[f] for f in short], k].all()
    assert not np.isnan(out.keypoints[[at[f] for f in short], k, :2]).any()
    assert np.isnan(out.keypoints[[at[f] for f in long], k, :2]).all()
    assert (out.keypoints[[at[f] for f in long], k, 2] == 0).all()
    assert result.filled[mine, k].sum() == len(short)


def test_spline_fills_the_same_gaps(clip):
    table, times = clip
    track, frames = _longest_track(table)
    gap = [int(frames[10]) + i for i in range(3)]
    holed = table.select(~((table.idx == track) & np.isin(table.frame_of_row(), gap)))
    result = filter_table(holed, FilterSettings(method="none", max_gap=3,
                                                interpolation="spline"), times)
    mine = result.table.idx == track
    assert set(gap) <= set(result.table.frame_of_row()[mine].tolist())
    assert int(result.filled[mine].any(axis=1).sum()) == 3


@pytest.mark.parametrize("method", ["savgol", "median", "one-euro"])
def test_a_previewed_range_equals_the_whole_run(clip, method):
    table, times = clip
    settings = FilterSettings(method=method, max_gap=4, min_score=0.2)
    whole = filter_table(table, settings, times)
    part = filter_table(table, settings, times, frames=range(25, 35))
    assert part.first_frame == 25 and part.table.num_frames == 10
    same = whole.table.frames_between(25, 35)
    np.testing.assert_array_equal(part.table.offsets, same.offsets)
    np.testing.assert_array_equal(part.table.idx, same.idx)
    np.testing.assert_allclose(part.table.keypoints, same.keypoints, atol=1e-3)


def test_filter_cli_writes_a_layer_of_its_own(task):
    def layers() -> list[PoseTable]:
        return [PoseTable.load(task / name) for name in ("pose.npz", "pose_raw.npz")]

    before = layers()
    proc = _cli("filter", task, "--method", "savgol", "--window", "9", "--max-gap", "0",
                "--min-score", "0.5")
    assert proc.returncode == 0, proc.stderr
    layer = task / "pose_filtered.npz"
    assert proc.stdout.strip() == str(layer)
    for kept, old in zip(layers(), before, strict=True):  # linked and raw stay as they were
        np.testing.assert_array_equal(kept.keypoints, old.keypoints)
        np.testing.assert_array_equal(kept.idx, old.idx)
    record = read_record(layer)
    assert record.settings == FilterSettings(method="savgol", window=9, max_gap=0,
                                             min_score=0.5)
    assert record.source_layer == "linked" and record.edits_sha256 is None
    filtered = PoseTable.load(layer)
    assert read_filled(layer).shape == (filtered.num_rows, 17) and not read_filled(layer).any()
    assert default_layer(task) == Layer.FILTERED
    # dropped points: NaN in the layer, 0, 0, 0 in JSON, empty in CSV
    dropped = np.isnan(filtered.keypoints[:, :, 0])
    assert dropped.any() and (filtered.keypoints[:, :, 2][dropped] == 0).all()
    entries = json.loads(export_task(task, "alphapose", task / "f.json").read_text())
    assert len(entries) == filtered.num_rows
    r, k = np.argwhere(dropped)[0]
    assert entries[r]["keypoints"][3 * k: 3 * k + 3] == [0.0, 0.0, 0.0]
    linked = json.loads((task / "pose.json").read_text())
    assert entries[0]["keypoints"] != linked[0]["keypoints"]  # smoothed, by default
    assert ",," in export_task(task, "csv", task / "f.csv").read_text()


def test_edits_after_filtering_make_the_filtered_layer_stale(task):
    assert _cli("filter", task).returncode == 0
    track = int(PoseTable.load(task / "pose.npz").idx[0])
    proc = _cli("tracks", task, "--rename", track, "walker")  # a proofreading edit
    assert proc.returncode == 0, proc.stderr
    assert default_layer(task) == Layer.EDITED  # the edits, not the outdated filtered layer
    proc = _cli("export", task, "-f", "csv", "--layer", "filtered", "-o", task / "f.csv")
    assert proc.returncode == 2 and "out of date" in proc.stderr
    assert _cli("filter", task).returncode == 0
    record = read_record(task / "pose_filtered.npz")
    assert record.source_layer == "edited" and record.edits_sha256 is not None
    assert default_layer(task) == Layer.FILTERED


@pytest.mark.parametrize(("args", "message"), [
    (["--window", "8"], "--window must be odd (got 8)"),
    (["--window", "103"], "--window 103 is out of range [3, 101]"),
    (["--max-gap", "-1"], "--max-gap -1 is out of range [0, 1000]"),
    (["--min-score", "1.5"], "--min-score 1.5 is out of range [0, 1]"),
    (["--window", "3", "--polyorder", "3"], "--polyorder 3 must be below --window 3"),
])
def test_filter_cli_refuses_numbers_out_of_bounds(task, args, message):
    proc = _cli("filter", task, *args)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: {message}"
    assert not (task / "pose_filtered.npz").exists()
