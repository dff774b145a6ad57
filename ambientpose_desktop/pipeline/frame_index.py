"""Which frames a video has: presentation timestamps in display order, and the keyframes.

Built by demuxing every packet (no decoding), which reads the whole file: seconds for an hour
of 1080p. The worker already decodes every frame, so it saves the index beside the results
(``frames.npz``) and the viewer opens long videos at once; the file records the video's size
and modification time so a replaced video is never read with a stale index.
"""

from __future__ import annotations

import bisect
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ambientpose_desktop.core.atomic import atomic_write_bytes
from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.task_folder import FRAME_INDEX


@dataclass(frozen=True)
class FrameIndex:
    pts: tuple[int, ...]  # stream ticks, display order
    keyframes: tuple[int, ...]  # frame indices, ascending
    time_base: float

    def keyframe_before(self, index: int) -> int:
        return self.keyframes[max(bisect.bisect_right(self.keyframes, index) - 1, 0)]

    @property
    def longest_gop(self) -> int:
        """Most frames from one keyframe to the next (or to the end): the longest decode a
        seek can need."""
        bounds = (*self.keyframes, len(self.pts))
        return max(b - a for a, b in zip(bounds, bounds[1:], strict=False))

    def seconds(self, index: int) -> float:
        return (self.pts[index] - self.pts[0]) * self.time_base

    @classmethod
    def from_frames(cls, pts: Sequence[int], keyframe: Sequence[bool],
                    time_base: float) -> FrameIndex:
        """From decoded frames in display order (what the worker sees)."""
        keys = tuple(i for i, key in enumerate(keyframe) if key) or (0,)
        return cls(tuple(int(p) for p in pts), keys, float(time_base))

    def save(self, path: Path, video: Path) -> None:
        stat = Path(video).stat()
        buffer = io.BytesIO()
        np.savez(buffer, pts=np.asarray(self.pts, np.int64),
                 keyframes=np.asarray(self.keyframes, np.int64),
                 time_base=np.float64(self.time_base),
                 video=np.asarray([stat.st_size, stat.st_mtime_ns], np.int64))
        atomic_write_bytes(path, buffer.getvalue())

    @classmethod
    def load(cls, path: Path, video: Path) -> FrameIndex | None:
        """The saved index, or None if missing, unreadable or made for another file."""
        try:
            stat = Path(video).stat()
            with np.load(path, allow_pickle=False) as data:
                if data["video"].tolist() != [stat.st_size, stat.st_mtime_ns]:
                    return None
                return cls(tuple(data["pts"].tolist()), tuple(data["keyframes"].tolist()),
                           float(data["time_base"]))
        except (OSError, KeyError, ValueError):
            return None


def build_index(container, stream) -> FrameIndex:
    """Demux every packet of ``stream`` once (no decoding) to list its frames."""
    entries = []
    container.seek(0)
    for packet in container.demux(stream):
        if packet.pts is not None and packet.size:
            entries.append((packet.pts, bool(packet.is_keyframe)))
    container.seek(0)
    if not entries:
        raise InputError("the video has no frames with timestamps; it cannot be scrubbed")
    entries.sort()
    return FrameIndex.from_frames([p for p, _ in entries], [k for _, k in entries],
                                  float(stream.time_base))


def save_decoded_index(source, folder: Path, frames: int) -> list[str]:
    """Save the index of a ``VideoSource`` that decoded the whole video (``frames`` frames);
    returns the file name, or [] when its frames lack timestamps or it stopped early."""
    pts = getattr(source, "decoded_pts", None)
    if not pts or len(pts) != frames or source.pts_missing or not source.time_base:
        return []
    FrameIndex.from_frames(pts, source.decoded_keyframe, source.time_base).save(
        folder / FRAME_INDEX, source.path)
    return [FRAME_INDEX]
