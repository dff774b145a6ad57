"""The committed icons match the SVG sizes desktops ask for; the .desktop entry installs."""

import configparser
import importlib.util
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

REPO = Path(__file__).resolve().parents[2]
# packaging/ is a folder of scripts, not a package (the name belongs to PyPI's `packaging`).
_spec = importlib.util.spec_from_file_location("make_icons", REPO / "packaging" / "make_icons.py")
make_icons = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_icons)
ICONS, SIZES, ico_bytes, png_path = (make_icons.ICONS, make_icons.SIZES, make_icons.ico_bytes,
                                     make_icons.png_path)
INSTALL = REPO / "packaging" / "install_desktop_entry.sh"


@pytest.mark.parametrize("size", SIZES)
def test_committed_png_has_its_size_and_is_drawn(size):
    image = QImage(str(png_path(size)))
    assert (image.width(), image.height()) == (size, size)
    centre = image.pixelColor(size // 2, size // 2)
    corner = image.pixelColor(0, 0)
    assert centre.alpha() == 255 and corner.alpha() == 0


def test_ico_directory_points_at_each_png():
    pngs = {16: b"\x89PNG-sixteen", 256: b"\x89PNG-big"}
    data = ico_bytes(pngs)
    assert struct.unpack_from("<HHH", data) == (0, 1, 2)
    for i, (size, png) in enumerate(sorted(pngs.items())):
        width, _, _, _, _, _, length, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * i)
        assert width == (0 if size == 256 else size)
        assert data[offset:offset + length] == png
    assert (ICONS / "ambientpose.ico").stat().st_size > sum(
        png_path(s).stat().st_size for s in SIZES)


def _entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(path)
    return parser["Desktop Entry"]


def test_desktop_entry_installs_with_the_absolute_executable_and_uninstalls(tmp_path):
    bundle = tmp_path / "my apps" / "AmbientPose"
    bundle.mkdir(parents=True)
    exe = bundle / "AmbientPose"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    proc = subprocess.run(["bash", str(INSTALL), str(exe)], env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    entry = _entry(tmp_path / "data" / "applications" / "ambientpose.desktop")
    assert entry["Exec"] == f'"{exe}"' and entry["TryExec"] == str(exe)
    assert entry["Icon"] == "ambientpose" and entry["Type"] == "Application"
    validate = shutil.which("desktop-file-validate")  # desktop-file-utils, where installed
    if validate:
        check = subprocess.run([validate, str(tmp_path / "data" / "applications" /
                                              "ambientpose.desktop")],
                               capture_output=True, text=True, timeout=60)
        assert check.returncode == 0 and "error" not in check.stdout, check.stdout
    icons = tmp_path / "data" / "icons" / "hicolor"
    assert (icons / "48x48" / "apps" / "ambientpose.png").read_bytes() == \
        png_path(48).read_bytes()
    assert (icons / "scalable" / "apps" / "ambientpose.svg").is_file()

    proc = subprocess.run(["bash", str(INSTALL), "--uninstall"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "data" / "applications" / "ambientpose.desktop").exists()
    assert not (icons / "48x48" / "apps" / "ambientpose.png").exists()


def test_desktop_entry_refuses_a_missing_executable(tmp_path):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    proc = subprocess.run(["bash", str(INSTALL), str(tmp_path / "nope")], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and len(proc.stderr.splitlines()) == 1
    assert not (tmp_path / "data").exists()
