"""Task parameters, declared once with their defaults, bounds and help.

``TaskParams`` is what a task asks of the worker (stored as JSON in its row). Each field's
declaration carries everything the rest of the app needs to know about it, so that the CLI's
flags (``cli/detect.py``), the API's schema (``server/schemas.py``), the Settings dialog's
spin boxes (``gui/settings_dialog.py``) and the worker's own check read one source and nobody
writes a default or a range out again. Backend-specific options are declared the same way by
each backend (``pipeline.backends.base.BackendOption``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ambientpose_desktop.core.errors import InputError

DEFAULT_BACKEND = "embedded"
DEVICE_PATTERN = r"auto|cpu|mps|cuda(:\d{1,2})?"
# How an image folder is read: frames of one recording (tracked), unrelated stills (an id per
# person per image), or decided from the file names and sizes (``pipeline.stills``).
FOLDER_MODES = ("auto", "sequence", "stills")


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: its type, default, bounds (or choices or pattern) and words for people.

    ``kind`` is ``int``, ``float``, ``bool``, ``str`` or ``choice``; ``optional`` parameters
    may be ``None`` (no limit, decide automatically).
    """

    name: str
    kind: str
    default: Any
    label: str
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    optional: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def describe(self) -> str:
        """The allowed values in a few words: ``0 to 1``, ``one of a, b``, ``at least 1``."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.minimum is not None and self.maximum is not None:
            return f"{_num(self.minimum)} to {_num(self.maximum)}"
        if self.minimum is not None:
            return f"at least {_num(self.minimum)}"
        if self.maximum is not None:
            return f"at most {_num(self.maximum)}"
        return ""

    def check(self, value: Any, called: str | None = None) -> Any:
        """``value`` (often a string from a command line or JSON) converted to this
        parameter's type and checked against its bounds; ``InputError`` names the range and
        the parameter (as ``called``, e.g. its command-line flag, else by its name)."""
        name = called or self.name
        if value is None or (value == "" and self.kind != "str"):
            if self.optional:
                return None
            raise InputError(f"{name} needs a value ({self.describe() or self.kind})")
        try:
            converted = _convert(self.kind, value)
        except (TypeError, ValueError):
            raise InputError(f"{name} must be {_article(self.kind)}, not {value!r}"
                             f"{self._range_hint()}") from None
        if self.choices and converted not in self.choices:
            raise InputError(f"{name} must be {self.describe()}, not {value!r}")
        if self.pattern and not re.fullmatch(self.pattern, str(converted)):
            raise InputError(f"{name} {value!r} is not valid ({self.help})")
        if self.kind in ("int", "float") and not self._in_range(converted):
            raise InputError(f"{name} must be {self.describe()}, not {_num(converted)}")
        return converted

    def _in_range(self, value: float) -> bool:
        if value != value:  # NaN compares false with everything: refuse it explicitly
            return False
        low = self.minimum if self.minimum is not None else float("-inf")
        high = self.maximum if self.maximum is not None else float("inf")
        return low <= value <= high

    def _range_hint(self) -> str:
        described = self.describe()
        return f" ({described})" if described else ""


def _convert(kind: str, value: Any) -> Any:
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ValueError(value)
    if kind == "int":
        if isinstance(value, bool):
            raise TypeError(value)
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError(value)
            return int(value)
        return int(str(value).strip())
    if kind == "float":
        if isinstance(value, bool):
            raise TypeError(value)
        return float(value)
    return str(value)


def _article(kind: str) -> str:
    return {"int": "a whole number", "float": "a number", "bool": "true or false",
            "choice": "one of the choices", "str": "text"}[kind]


def _num(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _param(kind: str, default: Any, label: str, help: str, **bounds: Any) -> Any:
    """A ``TaskParams`` field whose metadata is its ``ParamSpec`` (the name is filled in)."""
    return field(default=default, metadata={"spec": dict(kind=kind, default=default,
                                                         label=label, help=help, **bounds)})


@dataclass
class TaskParams:
    """What a task asks of the worker; stored as JSON in the task row."""

    backend: str = _param("str", DEFAULT_BACKEND, "Backend", "pose backend")
    device: str = _param("str", "auto", "Device", "auto, cpu or cuda:N",
                         pattern=DEVICE_PATTERN)
    conf: float = _param("float", 0.25, "Confidence threshold",
                         "people detected with less confidence are left out",
                         minimum=0.0, maximum=1.0)
    imgsz: int = _param("int", 640, "Image size (px)", "model input size in pixels",
                        minimum=32, maximum=4096)
    max_frames: int | None = _param("int", None, "Stop after (frames)", "stop after N frames",
                                    minimum=1, maximum=10**9, optional=True)
    overlay_video: bool = _param("bool", False, "Overlay video", "also write overlay.mp4")
    frames_jpeg: bool = _param("bool", False, "JPEG folders",
                               "also write frames_*/ and overlay_*/ JPEG folders")
    people: int | None = _param("int", None, "Expected people",
                                "at most this many identities; detections that fit none are "
                                "kept only in the raw layer (none: decided from the video)",
                                minimum=1, maximum=100, optional=True)
    image_folder: str = _param("choice", "auto", "Image folder is",
                               "sequence: frames of one recording, tracked; stills: unrelated "
                               "pictures, never tracked across images; auto: numbered "
                               "same-size images are a sequence", choices=FOLDER_MODES)
    checkpoint_every: int = _param("int", 500, "Checkpoint every (frames)",
                                   "save progress every N frames, so an interrupted run "
                                   "resumes from there (0: never)",
                                   minimum=0, maximum=10**7)
    # Checked by the backend that declares them (``pipeline.backends``), not here.
    backend_options: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> TaskParams:
        """Parameters from a stored row or settings file; unknown keys (e.g. the dropped
        ``keypoint_format`` of older rows) are ignored, missing ones get their default."""
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in (data or {}).items() if k in known})

    def checked(self, as_flags: bool = False) -> TaskParams:
        """A copy with every declared parameter converted and inside its bounds, or
        ``InputError`` naming the first one that is not (by its ``--flag`` if asked)."""
        values = {name: spec.check(getattr(self, name), spec.flag if as_flags else None)
                  for name, spec in PARAMS.items()}
        options = self.backend_options
        if not isinstance(options, dict):
            raise InputError("backend_options must be a mapping of option names to values")
        return TaskParams(**values, backend_options=dict(options))


PARAMS: dict[str, ParamSpec] = {
    f.name: ParamSpec(name=f.name, **f.metadata["spec"])
    for f in fields(TaskParams) if "spec" in f.metadata
}
