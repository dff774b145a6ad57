"""Proofreading edits: the operations, and the versioned edit file that keeps them in order.

The edited layer is the linked layer with these operations replayed on top
(``core.edited_table``); the results below are never rewritten. A detection is named by its
frame and identity, never by a row number (rows shift when detections are deleted or
promoted); a rejected detection of the raw layer by its frame and its place in that frame of
the raw layer, which is written once and never rewritten.

``edits.json`` (``TaskFolder.edits``) holds the log in effect and, so that nothing is ever
lost, every operation taken off it (by an undo or a revert) with when and why. Each save
raises ``revision`` by one and is atomic; a save checks first that nobody else (another
viewer, ``ambientpose tracks``) saved since this copy was read.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import ClassVar

from ambientpose_desktop.core.atomic import atomic_write_text
from ambientpose_desktop.core.errors import InputError, OutputError

FORMAT = "ambientpose-edits"
VERSION = 1


@dataclass(frozen=True)
class Rename:
    """Give ``identity`` a name ("child A"); an empty name takes it away."""

    kind: ClassVar[str] = "rename"
    identity: int
    name: str

    def describe(self) -> str:
        return f"Name #{self.identity} “{self.name}”" if self.name else \
            f"Remove the name of #{self.identity}"


@dataclass(frozen=True)
class Merge:
    """Every detection of ``source`` becomes ``into``'s (they never share a frame)."""

    kind: ClassVar[str] = "merge"
    source: int
    into: int

    def describe(self) -> str:
        return f"Merge #{self.source} into #{self.into}"


@dataclass(frozen=True)
class Swap:
    """``a`` and ``b`` trade detections from frame ``first`` to ``last`` (None: the end)."""

    kind: ClassVar[str] = "swap"
    a: int
    b: int
    first: int
    last: int | None = None

    def describe(self) -> str:
        end = "the end" if self.last is None else f"frame {self.last}"
        return f"Swap #{self.a} and #{self.b} from frame {self.first} to {end}"


@dataclass(frozen=True)
class Split:
    """From ``frame`` on, ``identity``'s detections are ``new_identity``'s."""

    kind: ClassVar[str] = "split"
    identity: int
    frame: int
    new_identity: int

    def describe(self) -> str:
        return f"Split #{self.identity} at frame {self.frame} (new #{self.new_identity})"


@dataclass(frozen=True)
class DeleteDetection:
    kind: ClassVar[str] = "delete-detection"
    frame: int
    identity: int

    def describe(self) -> str:
        return f"Delete #{self.identity} in frame {self.frame}"


@dataclass(frozen=True)
class DeleteIdentity:
    """All of ``identity``'s detections, or those from ``first`` to ``last`` (inclusive)."""

    kind: ClassVar[str] = "delete-identity"
    identity: int
    first: int | None = None
    last: int | None = None

    def describe(self) -> str:
        if self.first is None and self.last is None:
            return f"Delete #{self.identity}"
        return f"Delete #{self.identity} in frames {self.first}–{self.last}"


@dataclass(frozen=True)
class MoveKeypoint:
    kind: ClassVar[str] = "move-keypoint"
    frame: int
    identity: int
    keypoint: int
    x: float
    y: float

    def describe(self) -> str:
        return f"Move keypoint {self.keypoint} of #{self.identity} in frame {self.frame}"


@dataclass(frozen=True)
class HideKeypoint:
    """Mark a keypoint not visible: its score becomes 0, as AlphaPose and COCO results
    say "not seen" (x and y stay, for whoever wants to see where it was)."""

    kind: ClassVar[str] = "hide-keypoint"
    frame: int
    identity: int
    keypoint: int

    def describe(self) -> str:
        return f"Hide keypoint {self.keypoint} of #{self.identity} in frame {self.frame}"


@dataclass(frozen=True)
class Promote:
    """The ``raw_index``-th detection of ``frame`` in the raw layer, rejected by re-linking,
    joins the edited layer as ``identity`` (an existing one, or a new id)."""

    kind: ClassVar[str] = "promote"
    frame: int
    raw_index: int
    identity: int

    def describe(self) -> str:
        return f"Promote detection {self.raw_index} of frame {self.frame} to #{self.identity}"


Operation = (Rename | Merge | Swap | Split | DeleteDetection | DeleteIdentity | MoveKeypoint
             | HideKeypoint | Promote)
OPERATIONS: dict[str, type] = {op.kind: op for op in (
    Rename, Merge, Swap, Split, DeleteDetection, DeleteIdentity, MoveKeypoint, HideKeypoint,
    Promote)}


def to_json(op: Operation) -> dict:
    return {"op": op.kind, **asdict(op)}


def from_json(entry: dict, where: str = "") -> Operation:
    """The operation written as ``entry``; ``InputError`` naming ``where`` if it is not one."""
    cls = OPERATIONS.get(entry.get("op")) if isinstance(entry, dict) else None
    if cls is None:
        raise InputError(f"{where}unknown operation {entry!r}")
    values = {}
    for f in fields(cls):
        value = entry.get(f.name)
        if value is None:
            if f.type != "int | None":
                raise InputError(f"{where}{cls.kind} needs {f.name!r}")
        elif f.type.startswith("int"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise InputError(f"{where}{cls.kind}: {f.name} must be a whole number")
        elif f.type == "float":
            if (isinstance(value, bool) or not isinstance(value, int | float)
                    or not math.isfinite(value)):
                raise InputError(f"{where}{cls.kind}: {f.name} must be a finite number")
            value = float(value)
        elif not isinstance(value, str):
            raise InputError(f"{where}{cls.kind}: {f.name} must be text")
        values[f.name] = value
    return cls(**values)


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


@dataclass(frozen=True)
class Entry:
    """One operation of the log, and when it was made."""

    op: Operation
    at: str = field(default_factory=now)

    def to_json(self) -> dict:
        return {**to_json(self.op), "at": self.at}


@dataclass(frozen=True)
class Dropped:
    """Operations taken off the log (``why`` "undo" or "revert"), kept in the file."""

    why: str
    revision: int
    entries: tuple[Entry, ...]
    at: str = field(default_factory=now)

    def to_json(self) -> dict:
        return {"why": self.why, "revision": self.revision, "at": self.at,
                "ops": [e.to_json() for e in self.entries]}


def _one_per_line(items) -> str:
    """A JSON list with one item a line: small to write, easy to read and to compare."""
    lines = [json.dumps(item, ensure_ascii=False) for item in items]
    return "[\n  " + ",\n  ".join(lines) + "\n ]" if lines else "[]"


class EditConflict(OutputError):
    """The edit file was saved by someone else since this copy was read."""


@dataclass
class EditLog:
    """The edit file in memory: the log in effect, the history behind it, the revision read."""

    entries: list[Entry] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    revision: int = 0

    @property
    def ops(self) -> list[Operation]:
        return [e.op for e in self.entries]

    @classmethod
    def load(cls, path: Path) -> EditLog:
        """The log in ``path``; an empty one when there is no file yet."""
        path = Path(path)
        if not path.is_file():
            return cls()
        name = path.name
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"{name} cannot be read ({exc}); it is kept as it is") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InputError(f"{name} is not an AmbientPose edit file")
        if data.get("version") != VERSION:
            raise InputError(f"{name} has version {data.get('version')}; this AmbientPose "
                             f"reads version {VERSION} (a newer one wrote it?)")

        def entries(items, where: str) -> tuple[Entry, ...]:
            if not isinstance(items, list):
                raise InputError(f"{name}: {where} is not a list")
            return tuple(Entry(from_json(item, f"{name}, {where} {n + 1}: "),
                               str(item.get("at", ""))) for n, item in enumerate(items))

        dropped = [Dropped(str(d.get("why", "")), int(d.get("revision", 0)),
                           entries(d.get("ops"), "dropped operation"), str(d.get("at", "")))
                   for d in data.get("dropped", []) if isinstance(d, dict)]
        return cls(list(entries(data.get("ops", []), "operation")), dropped,
                   int(data.get("revision", 0)))

    @staticmethod
    def revision_on_disk(path: Path) -> int:
        try:
            return int(json.loads(Path(path).read_text(encoding="utf-8")).get("revision", 0))
        except (OSError, ValueError, AttributeError):
            return 0

    def save(self, path: Path) -> None:
        """Write the next revision atomically, unless another program saved one meanwhile."""
        on_disk = self.revision_on_disk(path)
        if on_disk != self.revision:
            raise EditConflict(f"{Path(path).name} was changed elsewhere (another viewer or "
                               f"`ambientpose tracks`) since it was read; reopen to see it")
        head = json.dumps({"format": FORMAT, "version": VERSION, "revision": self.revision + 1})
        text = (f"{head[:-1]},\n \"ops\": {_one_per_line(e.to_json() for e in self.entries)},"
                f"\n \"dropped\": {_one_per_line(d.to_json() for d in self.dropped)}\n}}\n")
        try:
            atomic_write_text(path, text)
        except OSError as exc:
            raise OutputError(f"cannot save the edits to {path}: "
                              f"{exc.strerror or exc}") from None
        self.revision += 1

    def append(self, op: Operation) -> None:
        self.entries.append(Entry(op))

    def drop_last(self, why: str) -> Entry:
        entry = self.entries.pop()
        self.dropped.append(Dropped(why, self.revision, (entry,)))
        return entry

    def drop_all(self, why: str) -> list[Entry]:
        entries, self.entries = self.entries, []
        if entries:
            self.dropped.append(Dropped(why, self.revision, tuple(entries)))
        return entries
