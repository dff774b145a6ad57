"""Opening any results: a `detect` folder (or its pose file) as it is, AlphaPose JSON made
elsewhere with the video beside it or asked for, in a folder of its own that keeps its edits;
one line for what cannot be opened; `ambientpose view` as a real process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from ambientpose_desktop.cli import main as cli
from ambientpose_desktop.core import edits
from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.layers import Layer, load_layer
from ambientpose_desktop.core.paths import app_paths
from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.pipeline.export import export_task
from ambientpose_desktop.pipeline.open_results import results_folder
from tests.conftest import REPO, folder_digest
from tests.viewer.driving import open_viewer


def _video_of(task) -> str:
    return Summary.read(task / "summary.json").source.path


@pytest.fixture
def foreign(processed_task, tmp_path):
    """AlphaPose-format results made elsewhere: a JSON of any name, its video beside it."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    shutil.copyfile(processed_task / "pose.json", folder / "alphapose-results.json")
    os.symlink(os.path.abspath(_video_of(processed_task)), folder / "clip.avi")
    return folder


def test_a_detect_folder_or_its_pose_files_open_as_they_are(processed_task, tmp_path):
    for path in (processed_task, processed_task / "pose.json", processed_task / "pose.npz"):
        assert results_folder(path, tmp_path / "ws") == processed_task
    assert not (tmp_path / "ws").exists()


def test_foreign_json_opens_with_the_video_beside_it(qtbot, foreign, processed_task):
    before = folder_digest(foreign)
    folder = results_folder(foreign, app_paths().opened)  # the folder, or the file itself
    assert results_folder(foreign / "alphapose-results.json", app_paths().opened) == folder
    assert folder.parent == app_paths().opened
    window = open_viewer(qtbot, folder)
    frame = 12
    window.state.seek(frame)
    ours = load_layer(processed_task, Summary.read(processed_task / "summary.json"))
    assert [p.idx for p in window.canvas.persons] == [p.idx for p in ours.persons(frame)]
    assert all(np.allclose(a.keypoints, b.keypoints, atol=1e-3) for a, b in
               zip(window.canvas.persons, ours.persons(frame), strict=True))
    # proofread like a task: the edit is kept in its own folder and found on reopening
    identity = window.canvas.persons[0].idx
    assert window.history.edit(edits.Rename(identity, "child A"))
    window.close()
    again = results_folder(foreign, app_paths().opened)
    assert again == folder
    assert load_layer(again, Summary.read(again / "summary.json"), Layer.EDITED).num_rows
    assert open_viewer(qtbot, again).history.table.name(identity) == "child A"
    out = export_task(again, "alphapose", foreign.parent / "out.json")
    assert out.is_file()
    assert folder_digest(foreign) == before  # the user's files are never changed


def test_the_video_is_asked_for_when_none_is_beside(foreign, tmp_path):
    (foreign / "clip.avi").unlink()
    with pytest.raises(InputError, match="name it with --video"):
        results_folder(foreign, tmp_path / "ws")
    asked = []
    video = tmp_path / "v.avi"
    os.symlink(os.path.abspath(REPO.parent / "shared/media/videos/openpose_video.avi"), video)
    folder = results_folder(foreign, tmp_path / "ws",
                            ask_video=lambda what: asked.append(what) or video)
    assert asked == ["the video of alphapose-results.json"]
    assert Summary.read(folder / "summary.json").source.path == str(video.resolve())


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing", "does not exist"),
    (lambda d: (d / "notes.txt").write_text("hello") and d / "notes.txt", "cannot open notes.txt"),
    (lambda d: (d / "x.json").write_text('{"a": 1}') and d / "x.json",
     "not in AlphaPose's format"),
    (lambda d: (d / "pose.npz").write_bytes(b"PK") and d / "pose.npz",
     "needs its summary.json"),
    (lambda d: d, "no summary.json and no AlphaPose-format JSON"),
])
def test_what_cannot_be_opened_is_said_in_one_line(tmp_path, capsys, make, message):
    folder = tmp_path / "d"
    folder.mkdir()
    path = make(folder)
    with pytest.raises(InputError, match=message):
        results_folder(path, tmp_path / "ws")
    assert cli(["view", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_ambientpose_view_opens_a_detect_folder_in_its_own_process(processed_task, tmp_path):
    shot = tmp_path / "view.png"
    env = {**os.environ, "AMBIENTPOSE_SCREENSHOT": str(shot),
           "AMBIENTPOSE_SCREENSHOT_DELAY_MS": "500", "QT_QPA_PLATFORM": "offscreen",
           "AMBIENTPOSE_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "ambientpose_desktop", "view",
                           str(processed_task)], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert shot.stat().st_size > 10_000
    assert not (tmp_path / "home" / "data" / "ambientpose.sqlite3").exists()  # no database


def test_file_open_results_in_the_viewer_opens_another(qtbot, processed_task, foreign,
                                                       monkeypatch):
    """Ctrl+O in a viewer: the file chosen opens in a viewer of its own; foreign JSON whose
    video is not beside it asks for the video."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QFileDialog

    from ambientpose_desktop.gui.viewer import ViewerWindow
    from tests.viewer.driving import key

    window = open_viewer(qtbot, processed_task)
    (foreign / "clip.avi").rename(foreign.parent / "moved.avi")
    answers = [str(foreign / "alphapose-results.json"), str(foreign.parent / "moved.avi")]
    asked = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda parent, title, *a, **k: (asked.append(title)
                                                        or answers.pop(0), ""))
    key(window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert asked == ["Open results", "Which video? (the video of alphapose-results.json)"]
    opened = [w for w in QApplication.topLevelWidgets()
              if isinstance(w, ViewerWindow) and w is not window and w.isVisible()]
    assert len(opened) == 1 and opened[0].task.folder.parent == app_paths().opened
    assert opened[0].task.video == (foreign.parent / "moved.avi").resolve()
    opened[0].close()


def test_a_name_that_is_no_path_is_looked_up_as_a_task_id(capsys):
    assert cli(["view", "0123456789abcdef"]) == 2
    err = capsys.readouterr().err
    assert err == "error: no task or task folder called '0123456789abcdef'\n"
