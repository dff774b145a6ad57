"""Chunks of a long video: how a video is split into frame ranges, and what a chunk's worker
leaves for the join (``chunk.json`` beside its raw layer in ``chunks/<n>/``).

Each chunk after the first decodes ``lead_in_frames`` frames before its range and runs the
online tracker over them too, without keeping their results: by its first frame the tracker
then knows the people a single run's tracker would know there (a person lost for up to its
buffer, ``pipeline.tracking``, included), and the join matches the ids of those frames with
the previous chunk's to continue its tracks (``pipeline.chunk_join``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ambientpose_desktop.core.atomic import atomic_write_text

# The worker's internal flags for chunks (``cli/detect.py``; ``runner/command.py`` uses them).
START_FLAG, STOP_FLAG, JOIN_FLAG = "--start-frame", "--stop-frame", "--join-chunks"
# Longer than the online tracker's lost-track buffer (1.5 s), so every track alive at a
# chunk's first frame in a single run was seen during the lead-in.
LEAD_IN_S = 2.0
_FALLBACK_FPS = 30.0


@dataclass(frozen=True)
class ChunkRange:
    """Frames ``start`` to ``stop - 1`` of a video; ``stop`` ``None``: to its end (the last
    chunk, so a container that claims too few or too many frames loses none)."""

    index: int
    start: int
    stop: int | None

    def describe(self) -> str:
        end = "the end" if self.stop is None else str(self.stop - 1)
        return f"chunk {self.index + 1} (frames {self.start}–{end})"


def plan_chunks(frames: int, chunk_frames: int, to_the_end: bool = True) -> list[ChunkRange]:
    """``frames`` (the container's count, or ``max_frames``) in ranges of ``chunk_frames``;
    one range when it is not longer than that. ``to_the_end``: the last range runs to the end
    of the stream (not when a frame limit ends it)."""
    if chunk_frames < 1:
        raise ValueError(f"a chunk needs at least one frame, not {chunk_frames}")
    count = max(1, -(-frames // chunk_frames))
    ends = [min(frames, (i + 1) * chunk_frames) for i in range(count)]
    return [ChunkRange(i, i * chunk_frames, None if i == count - 1 and to_the_end else end)
            for i, end in enumerate(ends)]


def lead_in_frames(start: int, fps: float) -> int:
    """Frames decoded (and tracked) before a chunk that begins at ``start``."""
    return min(start, round(LEAD_IN_S * (fps if fps > 0 else _FALLBACK_FPS)))


@dataclass
class ChunkRecord:
    """What a chunk's worker decoded, for the join: its range, the lead-in before it, and per
    own frame its presentation time (``pts``, what a single run's timestamps and frame index
    are made from), keyframe flag and decoded timestamp."""

    index: int
    start: int
    stop: int | None
    lead_in: int  # frames before ``start`` at the head of the chunk's raw layer
    frames: int  # own frames decoded (the raw layer holds ``lead_in + frames``)
    keypoint_format: str
    backend: str
    device: str
    relinked: bool  # the offline pass applies (not when the backend tracks by itself)
    timings: dict[str, float]
    pts: list[int] = field(default_factory=list)  # empty when a frame had none
    keyframes: list[bool] = field(default_factory=list)
    times: list[float] = field(default_factory=list)  # seconds as decoded
    warning: str = ""  # the decoding damage that ended the chunk early, if any

    def write(self, path: Path) -> None:
        atomic_write_text(path, json.dumps(asdict(self), separators=(",", ":")))

    @classmethod
    def read(cls, path: Path) -> ChunkRecord:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
