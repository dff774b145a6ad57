"""The window (PySide6). Importing it first repairs PySide6 6.12.0's ``Signal.emit`` (see
``runner.qt_emit``), so every widget, superqt and pyqtgraph emit is safe."""

from ambientpose_desktop.runner import qt_emit  # noqa: F401
