"""``summary.json``: what was processed and how, written once per run beside ``pose.json``."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ambientpose_desktop.core.atomic import atomic_write_text


@dataclass
class SourceInfo:
    """Metadata of a video or image folder as decoded (not as the container claims)."""

    path: str
    kind: str  # "video" or "images"
    width: int
    height: int
    fps: float
    # Frames decoded (after a run; before it, the claim below). A damaged video's run stops
    # short: ``frame_count`` < ``frame_count_claimed``, and the results cover ``frame_count``.
    frame_count: int
    duration_s: float
    codec: str = ""
    # What the container says it holds (its header's count, else duration x fps; the number of
    # image files for a folder), kept so a partial run shows how far it got.
    frame_count_claimed: int = 0
    # Frames left out: a damaged video's frames whose timestamps repeated or went back
    # (``pipeline/pts_order.py``), or a folder's images that could not be read.
    frames_dropped: int = 0
    # Seconds from the first frame, one per frame: variable frame rate is kept, not assumed away.
    timestamps: list[float] = field(default_factory=list)
    # Image file names, in processing order, for image folders (AlphaPose's image_id values).
    frame_names: list[str] | None = None

    @property
    def image_names(self) -> list[str] | None:
        """The names results use as ``image_id``: file names for image folders, ``None`` for
        videos (whose frames are named ``N.jpg`` by index)."""
        return self.frame_names if self.kind == "images" else None


@dataclass
class Summary:
    source: SourceInfo
    keypoint_format: str
    backend: str
    device: str
    params: dict[str, Any]
    frames_processed: int
    persons: int
    tracks: int
    timings: dict[str, float]
    warnings: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    # Detections the re-linking pass left out of the linked layer (they fitted none of the
    # expected people): kept in the raw layer, where the viewer shows them.
    rejected: int = 0
    # The interpreter that ran the worker (Settings may name another one, e.g. AlphaPose's).
    python: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def frame_times(self, count: int) -> list[float]:
        """Seconds of each of ``count`` frames: the decoded timestamps where there is one per
        frame and they increase (variable frame rate kept), else spread by fps (one frame a
        second for image folders without one). CSV, NWB, filters and overlays all use this."""
        stamps = self.source.timestamps
        if len(stamps) >= count and all(b > a for a, b in zip(stamps, stamps[1:count],
                                                                   strict=False)):
            return [float(t) for t in stamps[:count]]
        step = 1.0 / self.source.fps if self.source.fps > 0 else 1.0
        return [i * step for i in range(count)]

    def write(self, path: Path) -> None:
        atomic_write_text(path, json.dumps(self.to_dict(), indent=1, ensure_ascii=False))

    @classmethod
    def read(cls, path: Path) -> Summary:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        source = SourceInfo(**data.pop("source"))
        known = cls.__dataclass_fields__
        return cls(source=source, **{k: v for k, v in data.items() if k in known})
