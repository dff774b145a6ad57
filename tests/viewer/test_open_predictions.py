"""Opening SLEAP and DeepLabCut predictions: files written by our own exports open (the .slp
in the viewer, also as `ambientpose view` in its own process) and export back to AlphaPose
JSON equal to the source pose.json; other tools' identity names are kept as names; files
that cannot be opened, or need the interchange extra, say so in one line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import defaultdict

import numpy as np
import pytest

from ambientpose_desktop.cli import main as cli
from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.keypoints import COCO_17
from ambientpose_desktop.core.paths import app_paths
from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.pipeline.export import export_task
from ambientpose_desktop.pipeline.open_results import results_folder
from tests.conftest import REPO, folder_digest
from tests.viewer.driving import open_viewer

sio = pytest.importorskip("sleap_io", reason="the interchange extra is not installed")

# (format, file name); DeepLabCut files name no video: theirs lies beside them
EXPORTS = [("slp", "p.slp"), ("analysis-h5", "p.analysis.h5"), ("dlc", "pDLC.h5"),
           ("dlc", "pDLC.csv")]


def _poses(path) -> dict[tuple[int, int], dict]:
    """AlphaPose JSON by (frame, track id)."""
    entries = json.loads(path.read_text())
    found = {(int(e["image_id"].split(".")[0]), e["idx"]): e for e in entries}
    assert len(found) == len(entries)
    return found


def _exported(processed_task, tmp_path, fmt, name):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    out = export_task(processed_task, fmt, folder / name)
    if fmt == "dlc":
        video = Summary.read(processed_task / "summary.json").source.path
        os.symlink(os.path.abspath(video), folder / "p.avi")
    return out


@pytest.mark.parametrize("fmt, name", EXPORTS)
def test_our_exports_open_and_export_back_to_the_source(processed_task, tmp_path, fmt, name):
    source = _poses(processed_task / "pose.json")
    out = _exported(processed_task, tmp_path, fmt, name)
    before = folder_digest(out.parent)
    folder = results_folder(out, app_paths().opened)
    assert folder.parent == app_paths().opened
    assert Summary.read(folder / "summary.json").source.path == Summary.read(
        processed_task / "summary.json").source.path
    back = _poses(export_task(folder, "alphapose", tmp_path / "back.json"))
    assert sorted(back) == sorted(source)  # same frames, same track ids
    for key, entry in source.items():
        np.testing.assert_allclose(back[key]["keypoints"], entry["keypoints"], atol=1e-3)
        if fmt != "dlc":  # DeepLabCut has no person score: the mean likelihood stands in
            assert back[key]["score"] == pytest.approx(entry["score"], abs=1e-5)
    assert not (folder / "edits.json").exists()  # our own person_<idx> names: no renames
    assert folder_digest(out.parent) == before  # the user's file is never changed


def test_reopening_finds_the_folder_without_reading_the_file_again(processed_task, tmp_path,
                                                                   monkeypatch):
    from ambientpose_desktop.pipeline import foreign_poses

    out = _exported(processed_task, tmp_path, "slp", "p.slp")
    folder = results_folder(out, app_paths().opened)
    (folder / "marker").write_text("kept")
    read = []
    real = foreign_poses.read_predictions
    monkeypatch.setattr(foreign_poses, "read_predictions",
                        lambda path: read.append(path) or real(path))
    assert results_folder(out, app_paths().opened) == folder and not read
    stat = out.stat()
    os.utime(out, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # the file changed
    assert results_folder(out, app_paths().opened) == folder and read == [out]
    assert not (folder / "marker").exists()  # made anew


def test_ambientpose_view_opens_our_slp_in_the_viewer(qtbot, processed_task, tmp_path):
    out = _exported(processed_task, tmp_path, "slp", "p.slp")
    labels = sio.load_file(str(out))
    window = open_viewer(qtbot, results_folder(out, app_paths().opened))
    frame = 12
    window.state.seek(frame)
    by_track = {int(inst.track.name.split("_")[1]): inst.numpy(scores=True)
                for lf in labels.find(labels.video, frame) for inst in lf.instances}
    shown = {p.idx: p.keypoints for p in window.canvas.persons}
    assert sorted(shown) == sorted(by_track) and shown
    for idx, points in by_track.items():
        np.testing.assert_allclose(shown[idx], points, atol=1e-4)


def test_ambientpose_view_opens_a_slp_in_its_own_process(processed_task, tmp_path):
    out = _exported(processed_task, tmp_path, "slp", "p.slp")
    shot = tmp_path / "view.png"
    env = {**os.environ, "AMBIENTPOSE_SCREENSHOT": str(shot),
           "AMBIENTPOSE_SCREENSHOT_DELAY_MS": "500", "QT_QPA_PLATFORM": "offscreen",
           "AMBIENTPOSE_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "ambientpose_desktop", "view", str(out)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert shot.stat().st_size > 10_000
    assert len(list((tmp_path / "home" / "data" / "opened").iterdir())) == 1


def _labels(tracks: list[str], nodes: list[str], video: str, frames: int = 3):
    """A SLEAP file as another lab's SLEAP would write it: its own track names."""
    skeleton = sio.Skeleton(list(nodes))  # (it turns the list it is given into Nodes)
    sleap_tracks = [sio.Track(name) for name in tracks]
    video = sio.Video(filename=video, open_backend=False)
    rng = np.random.default_rng(0)
    lfs = [sio.LabeledFrame(video=video, frame_idx=f, instances=[
        sio.PredictedInstance.from_numpy(points_data=rng.uniform(0, 300, (len(nodes), 2)),
                                         point_scores=np.full(len(nodes), 0.5), score=0.9,
                                         skeleton=skeleton, track=track)
        for track in sleap_tracks]) for f in range(frames)]
    return sio.Labels(labeled_frames=lfs, videos=[video], skeletons=[skeleton],
                      tracks=sleap_tracks)


def test_other_track_names_are_kept_as_names(qtbot, processed_task, tmp_path):
    video = Summary.read(processed_task / "summary.json").source.path
    nodes = list(reversed(COCO_17.names))  # any order: matched by name
    labels = _labels(["child A", "child B"], nodes, video)
    sio.save_slp(labels, str(tmp_path / "lab.slp"))
    folder = results_folder(tmp_path / "lab.slp", app_paths().opened)
    window = open_viewer(qtbot, folder)
    assert [window.history.table.name(i) for i in (0, 1)] == ["child A", "child B"]
    window.state.seek(1)
    person = next(p for p in window.canvas.persons if p.idx == 1)
    expected = labels.labeled_frames[1].instances[1].numpy()
    np.testing.assert_allclose(person.keypoints[COCO_17.index("nose"), :2],
                               expected[nodes.index("nose")], atol=1e-4)


def test_the_video_named_by_the_file_gone_is_asked_for(processed_task, tmp_path):
    labels = _labels(["a"], list(COCO_17.names), str(tmp_path / "gone.mp4"))
    sio.save_slp(labels, str(tmp_path / "lab.slp"))
    with pytest.raises(InputError, match="gone.mp4, which is not there.*--video"):
        results_folder(tmp_path / "lab.slp", tmp_path / "ws")
    video = Summary.read(processed_task / "summary.json").source.path
    asked = []
    folder = results_folder(tmp_path / "lab.slp", tmp_path / "ws",
                            ask_video=lambda what: asked.append(what) or video)
    assert asked == ["the video of lab.slp"]
    assert Summary.read(folder / "summary.json").persons == 3


def _far_frame(path):
    labels = _labels(["a"], list(COCO_17.names), "v.mp4", frames=1)
    labels.labeled_frames[0].frame_idx = 100_000
    sio.save_slp(labels, str(path))


@pytest.mark.parametrize("name, make, message", [
    ("bad.slp", lambda p: sio.save_slp(_labels(["a"], ["snout", "tail"], "v.mp4"), str(p)),
     "cannot open bad.slp: its 2 keypoints (snout, tail) are not those of a keypoint format "
     "AmbientPose knows (coco17, halpe26, halpe136, matched by name)"),
    ("bad.h5", lambda p: p.write_bytes(b"not hdf5"), "bad.h5 is not an HDF5 file"),
    ("bad.csv", lambda p: p.write_text("a,b\n1,2\n"), "bad.csv is not DeepLabCut predictions"),
    ("far.slp", _far_frame, "far.slp has poses up to frame 100000 but the video"),
])
def test_what_cannot_be_opened_is_said_in_one_line(processed_task, tmp_path, capsys, name,
                                                   make, message):
    path = tmp_path / name
    make(path)
    video = Summary.read(processed_task / "summary.json").source.path
    with pytest.raises(InputError, match=re.escape(message)):
        results_folder(path, tmp_path / "ws", video=video)
    assert cli(["view", str(path), "--video", video]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "ws").exists() or not any((tmp_path / "ws").iterdir())


def test_without_the_interchange_extra_one_line_names_it(processed_task, tmp_path):
    out = _exported(processed_task, tmp_path, "slp", "p.slp")
    code = ("import sys; sys.modules['sleap_io'] = None; "
            "from ambientpose_desktop.cli import main; sys.exit(main(sys.argv[1:]))")
    proc = subprocess.run([sys.executable, "-c", code, "view", str(out)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 2
    assert proc.stderr == (
        "error: opening p.slp needs the interchange extra (sleap_io is missing): "
        "pip install 'ambientpose-desktop[interchange]'\n")


def test_untracked_rows_reopen_untracked(tmp_path, processed_task):
    """AlphaPose run without tracking: rows without ids go out as DeepLabCut's untracked_<n>
    individuals and come back without ids."""
    from ambientpose_desktop.core.pose_table import PoseTable

    task = tmp_path / "task"
    task.mkdir()
    for name in ("summary.json", "pose.json"):
        (task / name).write_bytes((processed_task / name).read_bytes())
    entries = json.loads((task / "pose.json").read_text())
    for entry in entries:
        entry["idx"] = -1
    (task / "pose.json").write_text(json.dumps(entries))
    out = _exported(task, tmp_path, "dlc", "pDLC.csv")
    folder = results_folder(out, app_paths().opened)
    table = PoseTable.load(folder / "pose.npz")
    assert table.num_rows == len(entries) and set(table.idx.tolist()) == {-1}
    per_frame = defaultdict(int)
    for entry in entries:
        per_frame[int(entry["image_id"].split(".")[0])] += 1
    assert all(table.count(f) == n for f, n in per_frame.items())


@pytest.mark.parametrize("suffix, individuals", [(".h5", ["mouse", "rat"]), (".csv", ["solo"])])
def test_deeplabcut_files_written_by_movement_open(processed_task, tmp_path, suffix,
                                                   individuals):
    """Predictions another tool wrote (movement's DeepLabCut writer; one individual split
    out is a single-animal file): positions, likelihoods and absences kept, names as names."""
    movement = pytest.importorskip("movement.io.save_poses")
    from movement.io import load_poses

    from ambientpose_desktop.core.edits import EditLog
    from ambientpose_desktop.core.pose_table import PoseTable

    rng = np.random.default_rng(1)
    frames, k, n = 8, len(COCO_17.names), len(individuals)
    position = rng.uniform(0, 600, (frames, 2, k, n))
    confidence = rng.uniform(0.1, 1, (frames, k, n))
    position[2, :, :, 0] = np.nan  # the first individual is away in frame 2
    position[5, :, 3, -1] = np.nan  # one keypoint of the last is not seen in frame 5
    ds = load_poses.from_numpy(position, confidence, individuals, list(COCO_17.names), fps=25)
    movement.to_dlc_file(ds, tmp_path / f"clipDLC_resnet50{suffix}", split_individuals=n == 1)
    (path,) = tmp_path.glob(f"clipDLC_resnet50*{suffix}")
    video = Summary.read(processed_task / "summary.json").source.path
    folder = results_folder(path, app_paths().opened, video=video)
    table = PoseTable.load(folder / "pose.npz")
    assert table.num_rows == frames * n - 1 and table.count(2) == n - 1
    for f in (0, 5):
        for row in range(table.rows(f).start, table.rows(f).stop):
            i = int(table.idx[row])
            np.testing.assert_allclose(table.keypoints[row, :, :2],
                                       position[f, :, :, i].T, atol=1e-4, equal_nan=True)
            seen = ~np.isnan(position[f, 0, :, i])
            np.testing.assert_allclose(table.keypoints[row, seen, 2], confidence[f, seen, i],
                                       atol=1e-6)
            assert table.scores[row] == pytest.approx(confidence[f, seen, i].mean(), abs=1e-6)
    assert not table.keypoints[table.rows(5).stop - 1, 3, 2]  # not seen: score 0
    names = {op.identity: op.name for op in EditLog.load(folder / "edits.json").ops}
    assert names == dict(enumerate(individuals if n > 1 else ["individual_0"]))


def test_file_open_results_in_the_viewer_opens_a_dlc_file(qtbot, processed_task, tmp_path,
                                                          monkeypatch):
    """Ctrl+O offers the prediction files and opens the one chosen in a viewer of its own."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QFileDialog

    from ambientpose_desktop.gui.viewer import ViewerWindow
    from tests.viewer.driving import key

    out = _exported(processed_task, tmp_path, "dlc", "pDLC.csv")
    window = open_viewer(qtbot, processed_task)
    filters = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda parent, title, folder, filter_: (filters.append(filter_)
                                                                or str(out), ""))
    key(window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert "*.slp *.h5 *.csv" in filters[0]
    opened = [w for w in QApplication.topLevelWidgets()
              if isinstance(w, ViewerWindow) and w is not window and w.isVisible()]
    assert len(opened) == 1 and opened[0].task.folder.parent == app_paths().opened
    assert opened[0].task.video == (tmp_path / "elsewhere" / "p.avi").resolve()
    opened[0].state.seek(12)  # drawn when the frame arrives (this viewer is not synchronous)
    expected = sorted(p.idx for p in window.history.table.to_table().persons(12))
    qtbot.waitUntil(lambda: sorted(p.idx for p in opened[0].canvas.persons) == expected)
    opened[0].close()
