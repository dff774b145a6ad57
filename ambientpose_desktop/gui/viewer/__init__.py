"""The results viewer: a finished task's video with live overlays, timeline, plots, export."""

from ambientpose_desktop.gui.viewer.window import ViewerWindow, show_viewer

__all__ = ["ViewerWindow", "show_viewer"]
