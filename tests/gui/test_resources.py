"""The app icon is found from the source tree and from a PyInstaller bundle, and renders."""

import sys

from ambientpose_desktop.gui import resources


def test_icon_renders_from_source(qtbot):
    assert resources.resource("icons/ambientpose.svg").is_file()
    pixmap = resources.app_icon().pixmap(64, 64)
    assert not pixmap.isNull()  # needs Qt's SVG image plugin
    assert pixmap.toImage().pixelColor(32, 32).alpha() > 0


def test_frozen_app_looks_in_its_bundle(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resource("icons/ambientpose.svg") == tmp_path / "resources" / "icons" / \
        "ambientpose.svg"
