"""The Export dialog: runs off the GUI thread, asks before overwriting, cancels cleanly."""

from __future__ import annotations

import csv

from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.gui.viewer.export_dialog import ExportDialog


def _dialog(qtbot, task, fmt, path):
    dialog = ExportDialog(task)
    qtbot.addWidget(dialog)
    dialog.format_box.setCurrentIndex(dialog.format_box.findData(fmt))
    dialog.path_edit.setText(str(path))
    return dialog


def test_export_csv_then_overwrite_only_when_confirmed(qtbot, processed_task, tmp_path):
    out = tmp_path / "poses.csv"
    dialog = _dialog(qtbot, processed_task, "csv", out)
    with qtbot.waitSignal(dialog.ended, timeout=30000):
        dialog.start()
        assert dialog.job is not None
    with open(out, newline="") as fh:
        assert sum(1 for _ in csv.reader(fh)) - 1 == Summary.read(
            processed_task / "summary.json").persons
    assert dialog.progress.value() == dialog.progress.maximum()
    out.write_text("keep me")
    asked = []
    dialog.confirm_overwrite = lambda path: asked.append(path) or False
    dialog.start()
    assert asked == [out] and dialog.job is None and out.read_text() == "keep me"
    dialog.confirm_overwrite = lambda path: True
    with qtbot.waitSignal(dialog.ended, timeout=30000):
        dialog.start()
    assert out.read_text().startswith("frame,time_s,idx,score,nose_x")


def test_cancel_overlay_video(qtbot, processed_task, tmp_path):
    dialog = _dialog(qtbot, processed_task, "overlay-video", tmp_path / "o.mp4")
    dialog.start()
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=30000)
    with qtbot.waitSignal(dialog.ended, timeout=30000):
        dialog.buttons.rejected.emit()  # the Cancel button
    assert "canceled" in dialog.status.text()
    assert list(tmp_path.iterdir()) == []
    assert dialog.export_button.isEnabled()


def test_failure_is_one_line(qtbot, processed_task, tmp_path):
    dialog = _dialog(qtbot, processed_task, "csv", tmp_path / "missing" / "p.csv")
    with qtbot.waitSignal(dialog.ended, timeout=30000):
        dialog.start()
    assert "does not exist" in dialog.status.text() and "\n" not in dialog.status.text()
