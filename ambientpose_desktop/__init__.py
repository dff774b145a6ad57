"""AmbientPose desktop: multi-person pose estimation for lab workstations."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ambientpose-desktop")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.1.0"

__all__ = ["__version__"]
