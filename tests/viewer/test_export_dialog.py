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


def test_the_edited_results_by_default_or_the_linked_ones(qtbot, task_copy, tmp_path):
    import json

    from ambientpose_desktop.core import edits
    from ambientpose_desktop.core.layers import open_edits

    session = open_edits(task_copy, Summary.read(task_copy / "summary.json"))
    deleted = session.table.identities()[0]
    session.apply(edits.DeleteIdentity(deleted))
    dialog = _dialog(qtbot, task_copy, "alphapose", tmp_path / "edited.json")
    assert [dialog.layer_box.itemData(i) for i in range(dialog.layer_box.count())] == [
        "edited", "linked", "raw"]  # the most processed first: the default
    with qtbot.waitSignal(dialog.ended, timeout=30000):
        dialog.start()
    dialog.layer_box.setCurrentIndex(1)
    dialog.path_edit.setText(str(tmp_path / "linked.json"))
    with qtbot.waitSignal(dialog.ended, timeout=30000):
        dialog.start()
    linked = json.loads((tmp_path / "linked.json").read_text())
    assert linked == json.loads((task_copy / "pose.json").read_text())
    edited = json.loads((tmp_path / "edited.json").read_text())
    assert edited == [e for e in linked if e["idx"] != deleted] != linked


def test_the_layer_offered_first_is_the_default_and_a_stale_filtered_one_is_off(
        qtbot, task_copy, tmp_path):
    import json

    from ambientpose_desktop.core import edits
    from ambientpose_desktop.core.filter_settings import FilterSettings
    from ambientpose_desktop.core.layers import default_layer, open_edits
    from ambientpose_desktop.pipeline.export import export_task
    from ambientpose_desktop.pipeline.filters import filter_task

    filter_task(task_copy, FilterSettings())
    dialog = _dialog(qtbot, task_copy, "alphapose", tmp_path / "filtered.json")
    layers = [dialog.layer_box.itemData(i) for i in range(dialog.layer_box.count())]
    assert layers == ["filtered", "linked", "raw"]
    assert dialog.layer_box.currentData() == default_layer(task_copy) == "filtered"
    with qtbot.waitSignal(dialog.ended, timeout=30000):
        dialog.start()
    cli_out = export_task(task_copy, "alphapose", tmp_path / "cli.json")  # no --layer
    assert json.loads((tmp_path / "filtered.json").read_text()) == json.loads(
        cli_out.read_text())
    # an edit after filtering: the filtered layer is listed, off, and edited is the default
    session = open_edits(task_copy, Summary.read(task_copy / "summary.json"))
    session.apply(edits.DeleteIdentity(session.table.identities()[0]))
    dialog = _dialog(qtbot, task_copy, "alphapose", tmp_path / "after.json")
    box = dialog.layer_box
    assert [box.itemData(i) for i in range(box.count())] == ["filtered", "edited", "linked",
                                                            "raw"]
    assert not box.model().item(0).isEnabled() and "OUT OF DATE" in box.itemText(0)
    assert box.currentData() == "edited" == default_layer(task_copy)
