"""The interface every pose backend implements, and its availability report."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.params import PARAMS, ParamSpec, TaskParams

if TYPE_CHECKING:  # listing backends (the window's start, ``--help``) must not load numpy
    import numpy as np

    from ambientpose_desktop.core.poses import Person


@dataclass(frozen=True)
class Availability:
    """Whether a backend can run here; ``message`` says why not in words a user can act on,
    or carries a note when it can (e.g. "CUDA not found: runs on the CPU")."""

    ok: bool
    message: str = ""
    # The problem is in what was asked (a device or file that is not there), not in this
    # machine's install: the CLI exits 2 for it, as for any bad input.
    bad_input: bool = False


@dataclass(frozen=True)
class BackendOption:
    """A backend-specific setting, declared once so the Settings dialog can draw a field for it
    (with these bounds), the CLI and the API can refuse a bad ``--opt KEY=VALUE`` and the
    worker can convert the value.

    ``kind`` is one of ``str``, ``int``, ``float``, ``bool``, ``file``, ``dir``, ``choice``;
    numbers have ``minimum``/``maximum``. An empty value means the default.
    """

    key: str
    label: str
    kind: str = "str"
    default: Any = None
    help: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    @property
    def spec(self) -> ParamSpec:
        """The same checks as every task parameter (``core.params``)."""
        kind = "str" if self.kind in ("file", "dir") else self.kind
        return ParamSpec(name=self.key, kind=kind, default=self.default, label=self.label,
                         help=self.help, minimum=self.minimum, maximum=self.maximum,
                         choices=self.choices, optional=True)

    def describe(self) -> str:
        """Its type and allowed values in a few words, for ``--help`` and tooltips."""
        allowed = self.spec.describe()
        return f"{self.kind}, {allowed}" if allowed else self.kind

    def convert(self, value: Any) -> Any:
        """``value`` (often a string from the command line) as this option's type;
        ``InputError`` names the allowed range."""
        if value is None or value == "":
            return self.default
        return self.spec.check(value)


@dataclass(frozen=True)
class Prescaled:
    """A frame as a backend's ``prescaler`` prepared it, off the model's thread."""

    image: np.ndarray  # RGB uint8, scaled down as the model sees it
    model_input: Any  # what the backend's ``infer`` takes of it (a tensor, say)


@dataclass
class BackendConfig:
    """Settings every backend understands, plus backend-specific ``options``; the defaults
    are the task parameters' (``core.params``)."""

    device: str = PARAMS["device"].default
    conf: float = PARAMS["conf"].default
    imgsz: int = PARAMS["imgsz"].default
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_params(cls, params: TaskParams) -> BackendConfig:
        return cls(device=params.device, conf=params.conf, imgsz=params.imgsz,
                   options=dict(params.backend_options))


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
        except InputError as exc:
            raise InputError(f"{cls.name} backend: {exc}") from None

    @classmethod
    def check_config(cls, config: BackendConfig) -> dict[str, Any]:
        """``option_values``, plus any rule that ties options to the common settings (e.g.
        how much memory a batch of frames of this size needs); ``InputError`` says what to
        lower. The CLI, the API and the worker call this before any work starts."""
        return cls.option_values(config)

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
        the backend tracks by itself. A backend with a ``prescaler`` also takes what that
        made of frames (``Prescaled``), with ``source_size=(width, height)`` of the frames."""

    def prescaler(self, width: int, height: int) -> Callable[[np.ndarray], Prescaled] | None:
        """The first steps of ``infer`` for ``width`` × ``height`` frames (scaling them down,
        making the model's input of them), as a function the worker runs on its decoding
        thread: on the model's thread they would hold the model up, frame after frame. The
        scrub proxy reuses the small frame. ``None``: the backend needs frames as they are
        (AlphaPose crops people at full resolution)."""
        return None

    def seek(self, frame: int) -> None:  # noqa: B027 - most backends look at pixels only
        """The next frame ``infer`` gets is frame ``frame`` of the source (a resumed run, a
        chunk of a long video): for a backend whose output depends on the frame's place (the
        fake one)."""

    @property
    def tracks_itself(self) -> bool:
        """True when the backend assigns ``idx`` itself (then our tracker is skipped)."""
        return False

    def close(self) -> None:  # noqa: B027 - most backends have nothing to release
        """Release models and GPU memory."""
