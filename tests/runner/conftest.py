"""The Qt runner runs in the window's process, which has imported ``gui`` (its PySide6
reference-count guard, ``gui/qt_compat.py``); so do its tests."""

import ambientpose_desktop.gui  # noqa: F401
