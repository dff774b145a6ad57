"""SLEAP, NWB and DeepLabCut exports, each read back by its own ecosystem's reader (never ours)
and checked against ``pose.json``: frames, identities, poses and a few keypoints."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from ambientpose_desktop.core.keypoints import COCO_17
from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.pipeline.export import export_task
from tests.pipeline.worker_helpers import worker_env

sio = pytest.importorskip("sleap_io", reason="the interchange extra is not installed")


class Expected:
    """What ``pose.json`` says: per (frame, track) the 17 x, y, score."""

    def __init__(self, task) -> None:
        self.summary = Summary.read(task / "summary.json")
        self.entries = json.loads((task / "pose.json").read_text())
        self.frames = self.summary.frames_processed
        self.by_key = {(int(e["image_id"].split(".")[0]), e["idx"]):
                       np.asarray(e["keypoints"]).reshape(17, 3) for e in self.entries}
        self.tracks = sorted({e["idx"] for e in self.entries})
        per_track = defaultdict(int)
        for _, idx in self.by_key:
            per_track[idx] += 1
        self.per_track = dict(per_track)

    def samples(self, count: int = 6):
        """A few (frame, track, keypoint) spread over the results."""
        keys = sorted(self.by_key)
        for i in np.linspace(0, len(keys) - 1, count).astype(int):
            frame, idx = keys[i]
            for k in (0, 9, 16):  # nose, left wrist, right ankle
                yield frame, idx, k, self.by_key[(frame, idx)][k]


@pytest.fixture(scope="module")
def expected(processed_task) -> Expected:
    return Expected(processed_task)


def test_slp_opens_in_sleap_io(processed_task, expected, tmp_path):
    out = export_task(processed_task, "slp", tmp_path / "p.slp")
    labels = sio.load_file(str(out))
    assert sorted(t.name for t in labels.tracks) == [f"person_{i}" for i in expected.tracks]
    assert [n.name for n in labels.skeleton.nodes] == list(COCO_17.names)
    assert len(labels.skeleton.edges) == len(COCO_17.skeleton)
    instances = [(lf.frame_idx, inst) for lf in labels.labeled_frames for inst in lf.instances]
    assert len(instances) == len(expected.entries)
    assert max(f for f, _ in instances) < expected.frames
    assert all(isinstance(inst, sio.PredictedInstance) for _, inst in instances)
    found = {(f, int(inst.track.name.split("_")[1])): inst for f, inst in instances}
    for frame, idx, k, (x, y, score) in expected.samples():
        points = found[(frame, idx)].numpy(scores=True)
        np.testing.assert_allclose(points[k], (x, y, score), atol=1e-3)
    assert labels.video.shape[0] >= expected.frames  # the video is referenced, not embedded


def test_analysis_h5_opens_in_sleap_io_and_movement(processed_task, expected, tmp_path):
    from movement.io import load_poses

    out = export_task(processed_task, "analysis-h5", tmp_path / "p.analysis.h5")
    labels = sio.load_file(str(out))
    assert sum(len(lf.instances) for lf in labels.labeled_frames) == len(expected.entries)
    assert sorted(t.name for t in labels.tracks) == [f"person_{i}" for i in expected.tracks]
    ds = load_poses.from_sleap_file(out, fps=expected.summary.source.fps)
    assert list(ds.individuals.values) == [f"person_{i}" for i in expected.tracks]
    assert list(ds.keypoints.values) == list(COCO_17.names)
    present = ~np.isnan(ds.position.values[:, 0, 0, :])  # (time, individuals) by the nose
    assert int(present[: expected.frames].sum()) == len(expected.entries)
    for frame, idx, k, (x, y, _) in expected.samples():
        got = ds.position.sel(individuals=f"person_{idx}").values[frame, :, k]
        np.testing.assert_allclose(got, (x, y), atol=1e-3)


def test_nwb_reads_in_pynwb_movement_and_passes_nwbinspector(processed_task, expected,
                                                              tmp_path):
    from movement.io import load_poses
    from nwbinspector import Importance, inspect_nwbfile
    from pynwb import NWBHDF5IO

    out = export_task(processed_task, "nwb", tmp_path / "p.nwb")
    stamps = np.asarray(expected.summary.source.timestamps[: expected.frames])
    with NWBHDF5IO(str(out), "r") as io:
        nwb = io.read()
        behavior = nwb.processing["behavior"]
        skeleton = behavior["Skeletons"].skeletons["coco17"]
        assert list(skeleton.nodes[:]) == list(COCO_17.names)
        assert len(skeleton.edges[:]) == len(COCO_17.skeleton)
        poses = {name: obj for name, obj in behavior.data_interfaces.items()
                 if name.startswith("person_")}
        assert sorted(poses) == sorted(f"person_{i}" for i in expected.tracks)
        for idx in expected.tracks:
            estimation = poses[f"person_{idx}"]
            video = estimation.source_video
            assert (tmp_path / video.external_file[0]).resolve() == Path(
                expected.summary.source.path).resolve()
            assert list(video.dimension[:]) == [1280, 720]
            assert estimation.skeleton.name == "coco17"
            nose = estimation.pose_estimation_series["nose"]
            assert nose.data.shape == (expected.frames, 2)
            assert int((~np.isnan(nose.data[:, 0])).sum()) == expected.per_track[idx]
            np.testing.assert_allclose(nose.get_timestamps(), stamps, atol=1e-6)
        for frame, idx, k, (x, y, score) in expected.samples():
            series = poses[f"person_{idx}"].pose_estimation_series[COCO_17.names[k]]
            np.testing.assert_allclose(series.data[frame], (x, y), atol=1e-3)
            assert series.confidence[frame] == pytest.approx(score, abs=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        issues = list(inspect_nwbfile(nwbfile_path=str(out)))
    serious = [i for i in issues if i.importance in (Importance.ERROR,
                                                     Importance.PYNWB_VALIDATION)]
    assert not serious, serious
    critical = {i.check_function_name for i in issues if i.importance == Importance.CRITICAL}
    assert critical <= {"check_subject_age"}, critical  # the age only the lab knows
    idx = expected.tracks[0]
    ds = load_poses.from_nwb_file(out, pose_estimation_key=f"person_{idx}")
    assert ds.sizes["time"] == expected.frames
    assert ds.fps == pytest.approx(expected.summary.source.fps)
    frame = min(f for f, i in expected.by_key if i == idx)
    np.testing.assert_allclose(ds.position.sel(keypoints="nose").values[frame, :, 0],
                               expected.by_key[(frame, idx)][0, :2], atol=1e-3)


def test_nwb_keeps_variable_frame_rate_timestamps(media, tmp_path):
    """The 28 fps clip with a 6-frame gap: every series carries the decoded timestamps."""
    from pynwb import NWBHDF5IO

    from tests.pipeline.worker_helpers import run_detect

    task = tmp_path / "task"
    proc = run_detect(media("videos/mmaction2_demo_skeleton.mp4").resolve(), "--backend", "fake",
                      "--output", task)
    assert proc.returncode == 0, proc.stderr
    stamps = Summary.read(task / "summary.json").source.timestamps
    assert max(np.diff(stamps)) > 0.15  # the gap is there
    out = export_task(task, "nwb", tmp_path / "p.nwb")
    with NWBHDF5IO(str(out), "r") as io:
        behavior = io.read().processing["behavior"]
        for name, estimation in behavior.data_interfaces.items():
            if name.startswith("person_"):
                series = estimation.pose_estimation_series["nose"]
                np.testing.assert_allclose(series.get_timestamps(), stamps, atol=1e-6)


@pytest.mark.parametrize("suffix", [".h5", ".csv"])
def test_dlc_predictions_read_in_movement_pandas_and_sleap_io(processed_task, expected,
                                                               tmp_path, suffix):
    import pandas as pd
    from movement.io import load_poses

    out = export_task(processed_task, "dlc", tmp_path / f"poses_dlc{suffix}")
    ds = load_poses.from_dlc_file(out, fps=expected.summary.source.fps)
    assert ds.sizes["time"] == expected.frames
    assert list(ds.individuals.values) == [f"person_{i}" for i in expected.tracks]
    assert sorted(ds.keypoints.values) == sorted(COCO_17.names)
    present = ~np.isnan(ds.position.sel(keypoints="nose").values[:, 0, :])
    assert int(present.sum()) == len(expected.entries)
    for frame, idx, k, (x, y, score) in expected.samples():
        point = ds.sel(individuals=f"person_{idx}", keypoints=COCO_17.names[k])
        np.testing.assert_allclose(point.position.values[frame], (x, y), atol=1e-3)
        assert float(point.confidence.values[frame]) == pytest.approx(score, abs=1e-3)
    if suffix == ".h5":  # as DeepLabCut reads its own predictions
        frame_table = pd.read_hdf(out, key="df_with_missing")
        assert frame_table.columns.names == ["scorer", "individuals", "bodyparts", "coords"]
        assert len(frame_table) == expected.frames
    else:  # sleap-io reads the layout (identities, body parts), though only labels' frames
        labels = sio.load_file(str(out))
        assert sorted(t.name for t in labels.tracks) == sorted(
            f"person_{i}" for i in expected.tracks)
        assert sorted(labels.skeleton.node_names) == sorted(COCO_17.names)


def test_dlc_refuses_another_suffix(processed_task, tmp_path):
    from ambientpose_desktop.core.errors import InputError

    with pytest.raises(InputError, match=r"\.h5 or \.csv"):
        export_task(processed_task, "dlc", tmp_path / "poses.txt")
    assert list(tmp_path.iterdir()) == []


def test_missing_library_is_one_line_naming_the_extra(processed_task, tmp_path):
    code = ("import sys; sys.modules['sleap_io'] = None\n"
            "from ambientpose_desktop.cli import main\n"
            f"sys.exit(main(['export', {str(processed_task)!r}, '-f', 'slp', "
            f"'-o', {str(tmp_path / 'p.slp')!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=worker_env())
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: the slp export needs the interchange extra (sleap_io is missing): "
        "pip install 'ambientpose-desktop[interchange]'"]
