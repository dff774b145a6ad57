"""Files under ``resources/``, found the same way from a source tree and from the frozen app
(PyInstaller unpacks them to ``sys._MEIPASS/resources``, see ambientpose.spec)."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon


def resources_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def resource(relative: str) -> Path:
    return resources_dir() / relative


@cache
def app_icon() -> QIcon:
    return QIcon(str(resource("icons/ambientpose.svg")))
