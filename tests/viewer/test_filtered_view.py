"""The filtered layer in the viewer: the overlay toggles edited / filtered (F, sent to the
window), the plots draw the filtered lines over the edited points, an edit made after
filtering shows the layer as out of date; the Filter dialog previews on the plotted frames
what Apply then writes, with the code of `ambientpose filter`."""

from __future__ import annotations

import shutil

import numpy as np
from PySide6.QtCore import Qt

from ambientpose_desktop.cli import main as cli
from ambientpose_desktop.core import edits
from ambientpose_desktop.core.filter_settings import BOUNDS, FilterSettings
from ambientpose_desktop.core.filtered_layer import read_record
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.pipeline.filters import filter_table, filter_task
from tests.viewer.driving import key, open_viewer

CTRL = Qt.KeyboardModifier.ControlModifier


def _drawn(window) -> list[np.ndarray]:
    return [p.keypoints for p in window.canvas.persons]


def _same_poses(drawn, table: PoseTable, frame: int) -> bool:
    expected = [p.keypoints for p in table.persons(frame)]
    return len(drawn) == len(expected) and all(
        np.array_equal(a, b) for a, b in zip(drawn, expected, strict=True))


def test_overlay_toggles_filtered_and_plots_draw_both(qtbot, task_copy):
    filter_task(task_copy, FilterSettings(method="median", window=9))
    window = open_viewer(qtbot, task_copy)
    filtered = PoseTable.load(task_copy / "pose_filtered.npz")
    frame = max(range(20, 40), key=filtered.count)  # inside the runs: smoothed there
    window.state.seek(frame)
    # a current filtered layer is what the viewer shows first, as exports read it
    assert window.state.options.filtered and window.controls.filtered_box.isChecked()
    assert _same_poses(_drawn(window), filtered, frame)
    edited = window.history.table
    assert not _same_poses(_drawn(window), edited.to_table(), frame)  # smoothing moved them
    # plots: filtered lines over the edited points, per identity
    assert {k[0] for k in window.plots.filtered_curves} == set(np.unique(filtered.idx)) - {-1}
    source = [c for k, c in window.plots._items.items() if k[0] == "positions"]
    assert source and all(c.opts["symbol"] in ("o", "t")
                          and c.opts["pen"].style() == Qt.PenStyle.NoPen
                          for c in source)
    assert window.actions["toggle-filtered"].isChecked()
    key(window, Qt.Key.Key_F)
    assert not window.state.options.filtered
    assert _same_poses(_drawn(window), edited.to_table(), frame)
    assert not window.actions["toggle-filtered"].isChecked()
    key(window, Qt.Key.Key_F)
    assert window.state.options.filtered and _same_poses(_drawn(window), filtered, frame)
    # an edit after filtering: the layer is out of date, said so, and the overlay goes back
    target = next(p.idx for p in window.canvas.persons if p.idx > 0)
    window.state.select(target)
    key(window, Qt.Key.Key_Delete)
    assert window.history.session.ops == [edits.DeleteDetection(frame, target)]
    assert window.filtered.stale and not window.state.options.filtered
    assert "OUT OF DATE" in window.controls.filter_label.text()
    assert "OUT OF DATE" in window.plots.positions.getPlotItem().titleLabel.text
    key(window, Qt.Key.Key_F)  # still viewable, with the warning in the status bar
    assert window.state.options.filtered
    assert "OUT OF DATE" in window.statusBar().currentMessage()
    filter_task(task_copy, FilterSettings(method="median", window=9))  # filtered again
    window.filtered.reload()
    assert not window.filtered.stale
    assert "OUT OF DATE" not in window.controls.filter_label.text()
    assert _same_poses(_drawn(window), PoseTable.load(task_copy / "pose_filtered.npz"), frame)


def test_without_a_filtered_layer_f_says_how_to_make_one(viewer):
    assert not viewer.state.options.filtered and not viewer.controls.filtered_box.isEnabled()
    assert not viewer.plots.filtered_curves
    key(viewer, Qt.Key.Key_F)
    assert not viewer.state.options.filtered
    assert "Filter…" in viewer.statusBar().currentMessage()


def test_filter_dialog_previews_then_applies_as_the_cli(qtbot, task_copy, tmp_path):
    window = open_viewer(qtbot, task_copy)
    key(window, Qt.Key.Key_F, CTRL)
    dialog = window.filter_dialog
    assert dialog is not None and dialog.isVisible()
    defaults = FilterSettings()
    assert dialog.settings() == defaults  # defaults and bounds from core/filter_settings
    for name, bound in BOUNDS.items():
        assert (dialog.fields[name].minimum(), dialog.fields[name].maximum()) == (
            bound.low, bound.high)
    assert dialog.fields["window"].singleStep() == 2  # odd values only
    qtbot.waitUntil(lambda: window.filtered.preview is not None)
    # the user zooms the plots onto frames 10-30 and picks One-Euro, then median 9
    window.plots.positions.setXRange(10, 30, padding=0)
    dialog.method_box.setCurrentText("one-euro")
    assert not dialog.fields["window"].isEnabled() and dialog.fields["beta"].isEnabled()
    dialog.method_box.setCurrentText("median")
    dialog.fields["window"].setValue(9)
    dialog.fields["max_gap"].setValue(4)
    chosen = FilterSettings(method="median", window=9, max_gap=4)
    qtbot.waitUntil(lambda: window.filtered.preview is not None
                    and window.filtered.preview_first <= 10
                    and dialog.settings() == chosen and not dialog._timer.isActive())
    preview, first = window.filtered.preview, window.filtered.preview_first
    assert "PREVIEW" in window.plots.positions.getPlotItem().titleLabel.text
    assert window.plots.filtered_curves
    assert not (task_copy / "pose_filtered.npz").exists()  # a preview writes nothing
    # Apply writes what `ambientpose filter` writes; the preview equals it on its frames
    dialog.apply_button.click()
    qtbot.waitUntil(lambda: dialog.job is None, timeout=20_000)
    assert "Saved" in dialog.status.text()
    assert read_record(task_copy / "pose_filtered.npz").settings == chosen
    other = shutil.copytree(task_copy, tmp_path / "cli", ignore=shutil.ignore_patterns(
        "pose_filtered.npz"))
    assert cli(["filter", str(other), "--method", "median", "--window", "9",
                "--max-gap", "4"]) == 0
    ours = PoseTable.load(task_copy / "pose_filtered.npz")
    theirs = PoseTable.load(other / "pose_filtered.npz")
    for column in ("offsets", "keypoints", "boxes", "scores", "idx"):
        assert np.array_equal(getattr(ours, column), getattr(theirs, column))
    part = ours.frames_between(first, first + preview.num_frames)
    assert np.allclose(part.keypoints, preview.keypoints, atol=1e-4)
    assert window.filtered.current and window.state.options.filtered
    dialog.close()
    assert window.filtered.preview is None
    assert "PREVIEW" not in window.plots.positions.getPlotItem().titleLabel.text


def test_preview_follows_edits_made_while_open(qtbot, task_copy):
    window = open_viewer(qtbot, task_copy)
    dialog = window.open_filter()
    qtbot.waitUntil(lambda: window.filtered.preview is not None)
    table = window.history.table
    identity = max(table.identities(), key=lambda i: len(table.rows_of(i)))
    window.history.edit(edits.DeleteIdentity(identity))
    qtbot.waitUntil(lambda: not dialog._timer.isActive()
                    and identity not in set(window.filtered.preview.idx.tolist()))
    frames = dialog.preview_frames()
    expected = filter_table(window.history.table.to_table(), dialog.settings(),
                            window.task.summary.frame_times(table.num_frames), frames=frames)
    assert np.array_equal(window.filtered.preview.idx, expected.table.idx)


def test_preview_keeps_to_a_few_thousand_frames_around_the_current_one(qtbot, task_copy,
                                                                       monkeypatch):
    """On an hour the plots show 108,000 frames: the preview filters a window of them around
    the current frame, so it stays live (here the cap is made small to see it)."""
    from ambientpose_desktop.gui.viewer import filter_dialog

    monkeypatch.setattr(filter_dialog, "PREVIEW_MAX_FRAMES", 20)
    window = open_viewer(qtbot, task_copy)
    window.state.seek(45)
    dialog = window.open_filter()
    qtbot.waitUntil(lambda: window.filtered.preview is not None)
    frames = dialog.preview_frames()
    assert len(frames) == 20 and 45 in frames
    assert window.filtered.preview_first == frames.start
    whole = filter_table(window.history.table.to_table(), dialog.settings(),
                         window.task.summary.frame_times(window.history.table.num_frames))
    part = whole.table.frames_between(frames.start, frames.stop)
    assert np.array_equal(part.idx, window.filtered.preview.idx)
    assert np.allclose(part.keypoints, window.filtered.preview.keypoints, atol=1e-4)


def test_filtered_lines_come_after_the_curves_at_open(qtbot, task_copy):
    """Opened as the main window opens it (the plots fill in after the first frame), the
    filtered lines are drawn once the curves under them are."""
    from ambientpose_desktop.gui.viewer import ViewerWindow

    filter_task(task_copy, FilterSettings())
    window = ViewerWindow(task_copy)
    qtbot.addWidget(window)
    window.show()
    assert not window.plots.filtered_curves
    qtbot.waitUntil(lambda: window.plots.filled and bool(window.plots.filtered_curves))
    filtered = PoseTable.load(task_copy / "pose_filtered.npz")
    assert {k[0] for k in window.plots.filtered_curves} == set(np.unique(filtered.idx)) - {-1}
