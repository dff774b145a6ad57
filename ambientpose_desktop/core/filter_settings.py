"""What a filter run is asked to do, with the bounds of every number, checked in one place.

``ambientpose filter``'s flags, the viewer's Filter dialog's fields and the record kept inside
``pose_filtered.npz`` all come from ``FilterSettings``; ``pipeline/filters.py`` does the work.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from ambientpose_desktop.core.errors import InputError

METHODS = ("savgol", "median", "one-euro", "none")
INTERPOLATIONS = ("linear", "spline")


@dataclass(frozen=True)
class Bound:
    low: float
    high: float
    help: str
    odd: bool = False


BOUNDS: dict[str, Bound] = {
    "window": Bound(3, 101, "frames in the smoothing window (savgol, median); odd", odd=True),
    "polyorder": Bound(1, 5, "polynomial order of the Savitzky-Golay fit; below --window"),
    "max_gap": Bound(0, 1000, "fill gaps of up to this many frames (0: fill none)"),
    "min_score": Bound(0.0, 1.0, "drop keypoints scored below this before filling"),
    "min_cutoff": Bound(0.01, 100.0, "One-Euro cutoff at rest, Hz: lower is smoother"),
    "beta": Bound(0.0, 10.0, "One-Euro speed coefficient, per px/s: higher lags less"),
}


@dataclass(frozen=True)
class FilterSettings:
    """Drop low-confidence points, fill short gaps, then smooth; per identity and keypoint."""

    method: str = "savgol"
    window: int = 7
    polyorder: int = 2
    max_gap: int = 10
    interpolation: str = "linear"
    min_score: float = 0.0
    min_cutoff: float = 1.0
    beta: float = 0.05

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise InputError(f"unknown filter method {self.method!r}; choose one of: "
                             f"{', '.join(METHODS)}")
        if self.interpolation not in INTERPOLATIONS:
            raise InputError(f"unknown interpolation {self.interpolation!r}; choose one of: "
                             f"{', '.join(INTERPOLATIONS)}")
        for name, bound in BOUNDS.items():
            value = getattr(self, name)
            if not bound.low <= value <= bound.high:
                raise InputError(f"--{name.replace('_', '-')} {value} is out of range "
                                 f"[{bound.low:g}, {bound.high:g}]")
            if bound.odd and int(value) % 2 == 0:
                raise InputError(f"--{name.replace('_', '-')} must be odd (got {value})")
        if self.method == "savgol" and self.polyorder >= self.window:
            raise InputError(f"--polyorder {self.polyorder} must be below --window "
                             f"{self.window}")

    @property
    def context_frames(self) -> int:
        """Frames beyond a previewed range that its result depends on (One-Euro's memory
        fades within a few dozen frames; the others reach no further than this)."""
        return self.max_gap + self.window + 30

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FilterSettings:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
