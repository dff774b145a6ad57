"""The window (PySide6). Importing it first guards against PySide6 6.12.0's reference-count
bugs (see ``runner.pyside_refcounts``), for every widget, superqt and pyqtgraph call."""

from ambientpose_desktop.runner import pyside_refcounts  # noqa: F401
