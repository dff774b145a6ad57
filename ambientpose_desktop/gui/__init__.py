"""The PySide6 window. Depends on core, store and runner; nothing depends on it."""

from ambientpose_desktop.gui.qt_compat import keep_singletons_alive

keep_singletons_alive()
