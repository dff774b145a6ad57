"""The Settings dialog: backends with their availability, fields drawn from backend options,
values persisted through AppSettings."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.gui.settings_dialog import SettingsDialog
from ambientpose_desktop.store.settings import AppSettings


def _dialog(qtbot, settings: AppSettings) -> SettingsDialog:
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.machineInspected, timeout=60_000):
        pass
    return dialog


def _option_edit(dialog: SettingsDialog, key: str) -> QLineEdit:
    widget = dialog._option_fields._widgets[key]
    assert isinstance(widget, QLineEdit)
    return widget


def test_backends_devices_and_options_are_shown(qtbot):
    dialog = _dialog(qtbot, AppSettings(task=TaskParams(backend="fake")))
    names = [dialog.backend.itemData(i) for i in range(dialog.backend.count())]
    assert "fake" in names and "embedded" in names
    assert "always available" in dialog.availability.text()
    devices = [dialog.device.itemText(i) for i in range(dialog.device.count())]
    assert devices[:2] == ["auto", "cpu"]
    assert set(dialog._option_fields._widgets) == {"delay_s", "crash_at"}


def test_edited_settings_are_returned_and_saved(qtbot, make_window):
    window = make_window(paused=True)
    dialog = _dialog(qtbot, window.settings)
    dialog.conf.setValue(0.4)
    dialog.imgsz.setValue(960)
    dialog.concurrency.setValue(2)
    assert dialog.people.text() == "auto" and dialog.people.maximum() == 100
    dialog.people.setValue(3)
    dialog._option_fields._widgets["delay_s"].setValue(0.2)  # a spin box: the option has bounds
    dialog.button_box.button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    window.apply_settings(dialog.result_settings())
    saved = AppSettings.load()
    assert (saved.task.conf, saved.task.imgsz, saved.concurrency) == (0.4, 960, 2)
    assert saved.task.people == 3
    assert saved.backend_options == {"fake": {"delay_s": 0.2}}
    assert window.runner.settings is window.settings and window.runner.slots == 2
    assert window.settings.task_params().backend_options == {"delay_s": 0.2}


def test_a_bad_option_value_keeps_the_dialog_open(qtbot):
    dialog = _dialog(qtbot, AppSettings(task=TaskParams(backend="fake")))
    _option_edit(dialog, "crash_at").setText("soon")
    dialog.button_box.button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.result() != SettingsDialog.DialogCode.Accepted
    assert "Crash at frame" in dialog.problem.text()


def test_check_again_uses_the_options_in_the_dialog(qtbot, tmp_path):
    dialog = _dialog(qtbot, AppSettings(task=TaskParams(backend="alphapose")))
    assert "AlphaPose not found" in dialog.availability.text()
    _option_edit(dialog, "alphapose_dir").setText(str(tmp_path))
    with qtbot.waitSignal(dialog.backendChecked, timeout=60_000):
        dialog.recheck.click()
    assert f"{tmp_path} is not an AlphaPose checkout" in dialog.availability.text()


def test_saved_options_count_when_the_dialog_opens(qtbot, tmp_path):
    settings = AppSettings(task=TaskParams(backend="alphapose"),
                           backend_options={"alphapose": {"alphapose_dir": str(tmp_path)}})
    dialog = _dialog(qtbot, settings)
    assert "is not an AlphaPose checkout" in dialog.availability.text()
