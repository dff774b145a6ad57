"""Frame-accurate random access to a video, fast enough to scrub long-GOP footage.

A bare ``seek`` lands on a keyframe and has to decode forward to the frame asked for: up to a
whole GOP (250 frames in much camera footage). So the reader keeps:

- a **frame index** (``frame_index.py``): frame ``i`` is the ``i``-th presentation timestamp,
  and its keyframe is known, so every answer is checked by timestamp, never guessed from the
  frame rate; the worker saves it beside the results, else it is built by demuxing once;
- a **decoded-frame cache** (LRU, bounded in bytes) filled with every frame decoded on the
  way to a target, so stepping back inside a GOP already visited is cheap; it holds decoded
  YUV frames (half the bytes of RGB) and converts only the frame asked for;
- **sequential decoding**: when the frame asked for lies ahead of the decoder and no later
  keyframe is closer, the reader decodes on instead of seeking, so stepping forward and
  playing cost one frame each; ``prefetch`` decodes ahead while the viewer is idle;
- while catching up to a target, frames nothing refers to are skipped by the decoder
  (``skip_frame=NONREF``) up to a few frames before it.

Not thread-safe: one thread owns a reader (the viewer gives it a thread of its own).
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from pathlib import Path

import numpy as np

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.pipeline.frame_index import FrameIndex, build_index

# Within this many frames of the target, decode every frame (B-frame reordering reaches a few
# frames back, so a skipped non-reference frame there could be the target itself).
_EXACT_WINDOW = 8


class _Overshot(Exception):
    """Decoding passed the target: it was among the frames skipped while catching up."""


class FrameReader:
    """``reader.frame(i)`` is the RGB image of frame ``i``, exactly, as decoding from 0 gives."""

    def __init__(self, path: str | Path, cache_bytes: int = 512 * 2**20,
                 threads: bool = True, index_file: Path | None = None) -> None:
        import av

        self.path = Path(path)
        try:
            self._container = av.open(str(self.path))
        except (av.error.FFmpegError, OSError) as exc:
            raise InputError(f"{self.path.name} cannot be opened as a video: {exc}") from None
        if not self._container.streams.video:
            self._container.close()
            raise InputError(f"{self.path.name} has no video stream")
        self._stream = self._container.streams.video[0]
        if threads:
            self._stream.thread_type = "AUTO"
        saved = FrameIndex.load(index_file, self.path) if index_file else None
        self._index_file = index_file
        self._index_checked = saved is None  # a saved index is re-checked if a seek fails
        self._use_index(saved or self._demux_index())
        self._cache: OrderedDict[int, object] = OrderedDict()  # index -> av.VideoFrame
        self._cache_bytes = cache_bytes
        self._used = 0
        self._decoder = None  # generator of decoded frames, positioned after self._position
        self._position = -1  # index of the last frame the decoder produced
        self.stats = {"hits": 0, "sequential": 0, "seeks": 0, "decoded": 0}

    def _demux_index(self) -> FrameIndex:
        index = build_index(self._container, self._stream)
        if self._index_file is not None:
            with contextlib.suppress(OSError):  # read-only folder: rebuilt next time
                index.save(self._index_file, self.path)
        return index

    def _use_index(self, index: FrameIndex) -> None:
        self.index = index
        self._by_pts = {p: i for i, p in enumerate(index.pts)}

    def __len__(self) -> int:
        return len(self.index.pts)

    @property
    def size(self) -> tuple[int, int]:
        ctx = self._stream.codec_context
        return ctx.width, ctx.height

    def close(self) -> None:
        self._decoder = None
        self._container.close()

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def cached(self, index: int) -> bool:
        return index in self._cache

    def cost(self, index: int) -> int:
        """How many frames ``frame(index)`` would decode (0 when cached)."""
        if index in self._cache:
            return 0
        key = self.index.keyframe_before(index)
        if self._decoder is not None and key <= self._position < index:
            return index - self._position
        return index - key + 1

    def frame(self, index: int, pixel_format: str = "rgb24") -> np.ndarray:
        """Frame ``index`` as an array: (H, W, 3) RGB by default; ``"bgra"`` gives (H, W, 4),
        the byte order of QImage.Format_RGB32, which Qt draws fastest. ``IndexError`` outside
        ``0..len-1``."""
        return self._decoded(index).to_ndarray(format=pixel_format)

    def _decoded(self, index: int):
        """The decoded ``av.VideoFrame`` of ``index`` (from the cache, or decoding to it)."""
        if not 0 <= index < len(self):
            raise IndexError(f"frame {index} outside 0..{len(self) - 1}")
        hit = self._cache.get(index)
        if hit is not None:
            self._cache.move_to_end(index)
            self.stats["hits"] += 1
            return hit
        key = self.index.keyframe_before(index)
        if self._decoder is not None and key <= self._position < index:
            self.stats["sequential"] += 1
        else:
            self._seek(key)
        try:
            try:
                return self._decode_until(index, skip=True)
            except _Overshot:  # a skipped frame was the target after all: decode every frame
                self._seek(key)
                return self._decode_until(index, skip=False)
        except IndexError:
            if self._index_checked:
                raise
        # the saved index disagrees with the file: rebuild it from the packets, then retry
        self._index_checked = True
        self._decoder = None
        self._cache.clear()
        self._used = 0
        self._use_index(self._demux_index())
        self._seek(self.index.keyframe_before(index))
        return self._decode_until(index, skip=False)

    def can_prefetch(self, start: int, upto: int) -> bool:
        """True if the decoder sits in ``start - 1 .. upto - 1``: decoding on is worth it."""
        return (self._decoder is not None
                and start - 1 <= self._position < min(upto, len(self) - 1))

    def prefetch(self, start: int, upto: int) -> bool:
        """Decode one more frame of ``start..upto`` if the decoder is there; True if it did.

        The viewer calls this while idle so that stepping and playback find frames ready.
        """
        return self.can_prefetch(start, upto) and self._next() is not None

    def _seek(self, key: int) -> None:
        self.stats["seeks"] += 1
        self._container.seek(self.index.pts[key], stream=self._stream, backward=True)
        self._decoder = self._container.decode(self._stream)
        self._position = key - 1

    def _decode_until(self, index: int, skip: bool):
        ctx = self._stream.codec_context
        # frame threads delay output by one frame each: widen the window by as many
        window = _EXACT_WINDOW + max(ctx.thread_count, 1)
        try:
            while True:
                far = skip and index - self._position > window
                ctx.skip_frame = "NONREF" if far else "DEFAULT"
                got = self._next()
                if got is None:
                    raise IndexError(f"frame {index} could not be decoded")
                if got[0] == index:
                    return got[1]
                if got[0] > index:
                    if skip:
                        raise _Overshot
                    raise IndexError(f"frame {index} is not in the decoded stream")
        finally:
            ctx.skip_frame = "DEFAULT"

    def _next(self) -> tuple[int, object] | None:
        """Decode the next frame, cache it and return ``(index, av.VideoFrame)``."""
        import av

        try:
            frame = next(self._decoder)
        except (StopIteration, av.error.EOFError):
            self._decoder = None
            return None
        index = self._by_pts.get(frame.pts)
        if index is None:  # a frame the demuxer did not list: skip it, keep the index honest
            return self._next()
        self._position = index
        self.stats["decoded"] += 1
        self._store(index, frame)
        return index, frame

    def _store(self, index: int, frame) -> None:
        if self._cache.pop(index, None) is not None:
            self._used -= _nbytes(frame)
        self._cache[index] = frame
        self._used += _nbytes(frame)
        while self._used > self._cache_bytes and len(self._cache) > 1:
            _, dropped = self._cache.popitem(last=False)
            self._used -= _nbytes(dropped)


def _nbytes(frame) -> int:
    return sum(plane.buffer_size for plane in frame.planes)

