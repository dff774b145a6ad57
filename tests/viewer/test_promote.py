"""Promoting a rejected detection in the viewer: R draws the raw layer's rejected detections
faintly, a click picks one, P (or the Edit menu, or the right-click menu) makes it a new
identity; Ctrl+Z and Ctrl+Shift+Z undo and redo it like any edit. The task is a real run with
`--people 2`, so re-linking rejects real detections."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from ambientpose_desktop.core import edits
from ambientpose_desktop.core.raw_layer import RawLayer
from tests.conftest import media_path
from tests.viewer.driving import key, open_viewer

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture(scope="module")
def two_people_task(tmp_path_factory):
    from tests.pipeline.worker_helpers import run_detect

    out = tmp_path_factory.mktemp("people2") / "task"
    proc = run_detect(media_path("videos/openpose_video.avi"), "--output", out,
                      "--max-frames", "20", "--people", "2")
    assert proc.returncode == 0, proc.stderr
    return out


def _point(window, person) -> QPoint:
    k = int(person.keypoints[:, 2].argmax())
    return window.canvas.to_widget(*person.keypoints[k, :2]).toPoint()


def _free_rejected(window) -> list[tuple[int, QPoint]]:
    """Rejected detections of this frame with a point where no identity is drawn."""
    found = []
    for raw_index, person in window.canvas.rejected:
        point = _point(window, person)
        if window.canvas.person_under(point.toPointF()) is None:
            found.append((raw_index, point))
    return found


def _step_to_a_free_rejected(window, raw) -> None:
    while not _free_rejected(window):
        assert window.state.frame < raw.table.num_frames - 1, "no rejected detection to click"
        key(window, Qt.Key.Key_Right)


def test_promote_a_rejected_detection_undo_and_redo(qtbot, two_people_task, tmp_path):
    task = shutil.copytree(two_people_task, tmp_path / "task")
    raw = RawLayer.load(task / "pose_raw.npz")
    window = open_viewer(qtbot, task)
    key(window, Qt.Key.Key_P)  # nothing picked yet
    assert "click one first" in window.statusBar().currentMessage()
    key(window, Qt.Key.Key_R)
    assert window.state.options.rejected and window.actions["toggle-rejected"].isChecked()
    _step_to_a_free_rejected(window, raw)
    frame = window.state.frame
    rows = raw.table.rows(frame)
    rejected = np.flatnonzero(raw.linked_idx[rows] < 0).tolist()
    assert [i for i, _ in window.canvas.rejected] == rejected
    assert window.canvas.last_rejected == len(rejected)  # drawn, faintly
    raw_index, point = _free_rejected(window)[0]
    QTest.mouseClick(window.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     point)
    assert window.state.picked_rejected == raw_index
    new = window.history.table.next_identity()
    key(window, Qt.Key.Key_P)
    assert window.history.session.ops == [edits.Promote(frame, raw_index, new)]
    promoted = next(p for p in window.canvas.persons if p.idx == new)
    assert np.array_equal(promoted.keypoints, raw.table.keypoints[rows.start + raw_index])
    assert raw_index not in [i for i, _ in window.canvas.rejected]
    assert window.state.selection.identity == new and new in window.lanes.identities
    key(window, Qt.Key.Key_Z, CTRL)
    assert window.history.session.ops == [] and new not in window.history.table.identities()
    assert raw_index in [i for i, _ in window.canvas.rejected]
    key(window, Qt.Key.Key_Z, CTRL | SHIFT)
    assert window.history.session.ops == [edits.Promote(frame, raw_index, new)]
    assert new in [p.idx for p in window.canvas.persons]
    # the right-click menu on a rejected detection offers the same action
    key(window, Qt.Key.Key_Right)
    _step_to_a_free_rejected(window, raw)
    other, where = _free_rejected(window)[0]
    QApplication.sendEvent(window.canvas, QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, where, window.canvas.mapToGlobal(where)))
    assert window.state.picked_rejected == other
    assert window.actions["promote"] in window._menu.actions()
    window._menu.close()
    key(window, Qt.Key.Key_R)
    assert not window.canvas.rejected and window.canvas.last_rejected == 0
