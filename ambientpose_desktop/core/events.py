"""The worker event schema: one JSON object per line, on stdout and in ``events.jsonl``.

The worker writes these, the Qt runner and the asyncio runner parse them, the server streams
them. Unknown fields are kept (forward compatibility); unknown event names parse to ``None``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar


@dataclass
class Event:
    """Base of all events; ``name`` is the value of the ``event`` field."""

    name: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.name, **asdict(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)


@dataclass
class Started(Event):
    name: ClassVar[str] = "started"
    task: str
    total_frames: int
    fps: float
    backend: str
    device: str
    resumed_at: int = 0  # the frame a resumed run carries on from (its checkpoint's)


@dataclass
class Progress(Event):
    name: ClassVar[str] = "progress"
    frame: int
    total_frames: int
    fps: float
    eta_s: float | None


@dataclass
class Log(Event):
    name: ClassVar[str] = "log"
    level: str
    message: str


@dataclass
class Finished(Event):
    name: ClassVar[str] = "finished"
    frames: int
    persons: int
    elapsed_s: float
    outputs: list[str] = field(default_factory=list)


@dataclass
class Failed(Event):
    name: ClassVar[str] = "failed"
    error: str


@dataclass
class Canceled(Event):
    name: ClassVar[str] = "canceled"
    frames: int = 0


EVENT_TYPES: dict[str, type[Event]] = {
    cls.name: cls for cls in (Started, Progress, Log, Finished, Failed, Canceled)
}
FINAL_EVENTS = frozenset({Finished.name, Failed.name, Canceled.name})


def parse_event(line: str | bytes) -> Event | None:
    """Parse one line; ``None`` for blank lines, non-JSON noise or unknown events."""
    try:
        data = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    cls = EVENT_TYPES.get(data.get("event", ""))
    if cls is None:
        return None
    known = cls.__dataclass_fields__
    try:
        return cls(**{k: v for k, v in data.items() if k in known})
    except TypeError:
        return None
