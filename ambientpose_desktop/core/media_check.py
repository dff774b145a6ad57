"""The findings of a video's integrity check, as the CLI, the API, the window and ``check.json``
show them.

``pipeline/media_check.py`` makes them: a container pass (packets, keyframes, timestamps, no
decoding) and, unless ``quick``, a decoding pass (damage inside the packets shows only there).
The fields are fixed and documented in the README (``ambientpose check --json``):

- ``ok``: the whole video reads: no damage, no missing index, a codec we can decode;
- ``frames``: frames that decode (the container pass: packets in the file); ``fps``;
  ``duration_s``;
- ``vfr``, ``min_interval_s``, ``max_interval_s``: variable frame rate and the shortest and
  longest time between two frames;
- ``keyframe_interval``: the longest run of frames from one keyframe to the next (or the end):
  what a seek may have to decode;
- ``damaged_from_frame``: the first frame (presentation order) that is missing or decodes with
  errors, ``None`` when there is none;
- ``index_missing``: an MP4 without its index (``moov``): a recording cut before it was
  finalised;
- ``codec``; ``problems`` (one line each: why ``ok`` is false); ``warnings`` (one line each:
  what reads but costs, e.g. variable frame rate or a long GOP); ``quick``: only the container
  pass ran.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

# A seek decodes from the keyframe before the frame: beyond this many frames (about 7 s at
# 30 fps, x264's default of 250 included) the viewer's steps and seeks become slow.
LONG_GOP_FRAMES = 200


@dataclass
class MediaCheck:
    """What the integrity check found in one video (see the module docstring)."""

    ok: bool
    frames: int = 0
    fps: float = 0.0
    vfr: bool = False
    min_interval_s: float | None = None
    max_interval_s: float | None = None
    keyframe_interval: int | None = None
    damaged_from_frame: int | None = None
    index_missing: bool = False
    codec: str = ""
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    quick: bool = False

    @property
    def unreadable(self) -> bool:
        """Nothing of it can be processed: a task on it fails at once with ``message``."""
        return not self.ok and self.frames == 0

    @property
    def badge(self) -> str:
        """One word for a task row: ``ok``, ``warning`` (reads, with costs) or ``damaged``."""
        if not self.ok:
            return "damaged"
        return "warning" if self.warnings else "ok"

    @property
    def message(self) -> str:
        """The findings in one line (problems first)."""
        return "; ".join(self.problems + self.warnings) or "no problems found"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MediaCheck:
        """Read back ``to_dict``'s output; keys this version does not know are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
