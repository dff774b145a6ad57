"""Help → About shows what the app is made of and copies it for bug reports."""

from importlib import metadata
from pathlib import Path

from PySide6.QtCore import qVersion
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QLabel

from ambientpose_desktop.core import about
from ambientpose_desktop.gui.about import AboutDialog


def _rows(dialog: AboutDialog) -> dict[str, list[str]]:
    table = dialog.components
    return {table.item(r, 0).text(): [table.item(r, c).text() for c in range(1, 4)]
            for r in range(table.rowCount())}


def test_about_shows_versions_and_licences(qtbot, ambientpose_home):
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    title = dialog.title_label.text()
    assert f"AmbientPose {about.application_version()}" in title and qVersion() in title
    rows = _rows(dialog)
    assert rows["ONNX Runtime"][0] == metadata.version("onnxruntime")
    assert rows["Qt for Python"][2].startswith("LGPL-3.0")
    assert len(rows) == len(about.components())
    assert "AGPL-3.0" in dialog.model_label.text()
    assert str(ambientpose_home / "data") in " ".join(
        label.text() for label in dialog.findChildren(QLabel))


def test_copy_details_puts_the_report_on_the_clipboard(qtbot):
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    dialog.copy_button.click()
    text = QGuiApplication.clipboard().text()
    assert f"Qt {qVersion()}" in text and "AGPL-3.0" in text
    assert text.splitlines()[0].startswith("AmbientPose ")


def test_about_shows_the_app_icon_when_the_app_has_one(qtbot):
    svg = Path(__file__).resolve().parents[2] / "resources" / "icons" / "ambientpose.svg"
    QGuiApplication.setWindowIcon(QIcon(str(svg)))
    try:
        dialog = AboutDialog()
        qtbot.addWidget(dialog)
        pictures = [label for label in dialog.findChildren(QLabel) if not label.pixmap().isNull()]
        assert len(pictures) == 1 and pictures[0].pixmap().width() == 64
    finally:
        QGuiApplication.setWindowIcon(QIcon())
    plain = AboutDialog()
    qtbot.addWidget(plain)
    assert all(label.pixmap().isNull() for label in plain.findChildren(QLabel))


def test_help_about_opens_the_dialog_over_the_window(make_window, monkeypatch):
    window = make_window()
    shown = []
    monkeypatch.setattr(AboutDialog, "exec", lambda self: shown.append(self) or 0)
    window.about_action.trigger()
    assert len(shown) == 1 and shown[0].parent() is window
    assert about.application_version() in shown[0].title_label.text()
