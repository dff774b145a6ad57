"""Read-only resources are found in a source checkout and inside the frozen bundle."""

import sys

from ambientpose_desktop.core.paths import app_icon_path, resources_dir


def test_resources_of_a_source_checkout():
    assert (resources_dir() / "ambientpose.desktop").is_file()
    assert app_icon_path().is_file()


def test_resources_of_the_frozen_bundle(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources_dir() == tmp_path / "resources"
