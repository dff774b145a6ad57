"""The interface every pose backend implements, and its availability report."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ambientpose_desktop.core.errors import InputError

if TYPE_CHECKING:  # listing backends (the window's start, ``--help``) must not load numpy
    import numpy as np

    from ambientpose_desktop.core.poses import Person


@dataclass(frozen=True)
class Availability:
    """Whether a backend can run here; ``message`` says why not in words a user can act on,
    or carries a note when it can (e.g. "CUDA not found: runs on the CPU")."""

    ok: bool
    message: str = ""


@dataclass(frozen=True)
class BackendOption:
    """A backend-specific setting, declared once so the Settings dialog can draw a field for it,
    the CLI can check ``--opt KEY=VALUE`` and the worker can convert the value.

    ``kind`` is one of ``str``, ``int``, ``float``, ``bool``, ``file``, ``dir``, ``choice``.
    """

    key: str
    label: str
    kind: str = "str"
    default: Any = None
    help: str = ""
    choices: tuple[str, ...] = ()

    def convert(self, value: Any) -> Any:
        """``value`` (often a string from the command line) as this option's type."""
        if value is None or value == "":
            return self.default
        if self.kind == "int":
            return int(value)
        if self.kind == "float":
            return float(value)
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            return str(value).lower() in {"1", "true", "yes", "on"}
        if self.kind == "choice" and self.choices and str(value) not in self.choices:
            raise ValueError(f"{self.key} must be one of: {', '.join(self.choices)}")
        return str(value)


@dataclass
class BackendConfig:
    """Settings every backend understands, plus backend-specific ``options``."""

    device: str = "auto"  # auto | cpu | cuda:N
    conf: float = 0.25
    imgsz: int = 640
    options: dict[str, Any] = field(default_factory=dict)


class PoseBackend(ABC):
    """Turns batches of RGB frames into people with keypoints.

    Construction is cheap; ``load`` does the heavy imports and model loading so that merely
    listing backends (Settings dialog, ``ambientpose detect --help``) stays fast.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    keypoint_format: ClassVar[str] = "coco17"
    # Frames per ``infer`` call that keeps the model busy without hurting latency.
    batch_size: ClassVar[int] = 1
    # Backend-specific settings (``BackendConfig.options``), for the Settings dialog and CLI.
    options: ClassVar[tuple[BackendOption, ...]] = ()

    def __init__(self, config: BackendConfig) -> None:
        self.config = config

    @classmethod
    def option_values(cls, config: BackendConfig) -> dict[str, Any]:
        """Every declared option, converted, with defaults filled in; raises ``InputError`` on
        unknown keys or bad values so a typo in ``--opt`` is not silently ignored."""
        declared = {o.key: o for o in cls.options}
        unknown = set(config.options) - set(declared)
        if unknown:
            known = ", ".join(declared) or "none"
            raise InputError(f"{cls.name} backend: unknown option(s) {', '.join(sorted(unknown))}"
                             f" (known: {known})")
        try:
            return {k: o.convert(config.options.get(k)) for k, o in declared.items()}
        except ValueError as exc:
            raise InputError(f"{cls.name} backend: {exc}") from None

    @classmethod
    @abstractmethod
    def availability(cls, config: BackendConfig | None = None) -> Availability:
        """Cheap check (no model load) of whether this backend can run with ``config``."""

    @abstractmethod
    def load(self) -> None:
        """Import the runtime and load weights; raises ``BackendUnavailable`` with a clear
        message when that is impossible."""

    @property
    @abstractmethod
    def device(self) -> str:
        """The device actually used after ``load`` (``cpu``, ``cuda:0``)."""

    @abstractmethod
    def infer(self, frames: list[np.ndarray]) -> list[list[Person]]:
        """People per frame for RGB uint8 frames (H, W, 3); ``idx`` is left at -1 unless
        the backend tracks by itself."""

    @property
    def tracks_itself(self) -> bool:
        """True when the backend assigns ``idx`` itself (then our tracker is skipped)."""
        return False

    def close(self) -> None:  # noqa: B027 - most backends have nothing to release
        """Release models and GPU memory."""
