"""Frame-accurate random access to a video, fast enough to scrub long-GOP footage.

A bare ``seek`` lands on a keyframe and has to decode forward to the frame asked for: up to a
whole GOP (250 frames in much camera footage). So the reader keeps:

- a **frame index** (``frame_index.py``): frame ``i`` is the ``i``-th presentation timestamp,
  and its keyframe is known, so every answer is checked by timestamp, never guessed from the
  frame rate; the worker saves it beside the results, else it is built by demuxing once;
- a **decoded-frame cache** (LRU, bounded in bytes: 512 MiB by default, ~165 frames of
  1080p) of the frames asked for, prefetched or filled, and the few decoded just before a
  target; it holds decoded YUV frames (half the bytes of RGB) and converts only the frame
  asked for. Frames merely passed on the way from a keyframe are not kept, so a far seek
  never flushes what was cached around the places visited before;
- **sequential decoding**: when the frame asked for lies ahead of the decoder and no later
  keyframe is closer, the reader decodes on instead of seeking, so stepping forward and
  playing cost one frame each; ``prefetch`` decodes ahead while the viewer is idle, and
  ``fill`` decodes a whole range (the frames just behind the one shown, so stepping back
  finds them ready);
- while catching up to a target, frames nothing refers to are skipped by the decoder
  (``skip_frame=NONREF``) up to a few frames before it;
- **interruptible decoding**: ``frame`` and ``fill`` take an ``interrupt`` callable, checked
  between frames, so a newer request never waits for a long decode; the decoder keeps its
  place, and a later frame of the same GOP is decoded on from there.

Not thread-safe: one thread owns a reader (the viewer gives it a thread of its own).
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.pipeline.frame_index import FrameIndex, build_index

# Within this many frames of the target, decode every frame (B-frame reordering reaches a few
# frames back, so a skipped non-reference frame there could be the target itself).
_EXACT_WINDOW = 8
SCALING = "AREA"  # libswscale's filter for frames asked for at another size (mostly smaller)


class _Overshot(Exception):
    """Decoding passed the target: it was among the frames skipped while catching up."""


class DecodeInterrupted(Exception):
    """``interrupt()`` became true while decoding; asking again goes on where it stopped."""


Interrupt = Callable[[], bool] | None


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
        if self._can_decode_on(key, index, index):
            return index - self._position
        return index - key + 1

    def frame(self, index: int, pixel_format: str = "rgb24",
              interrupt: Interrupt = None, size: tuple[int, int] | None = None) -> np.ndarray:
        """Frame ``index`` as an array: (H, W, 3) RGB by default; ``"bgra"`` gives (H, W, 4),
        the byte order of QImage.Format_RGB32, which Qt draws fastest. ``size`` (width,
        height) scales it in the same libswscale pass as the colour conversion (a viewer
        showing it smaller then only copies pixels). ``IndexError`` outside ``0..len-1``;
        ``DecodeInterrupted`` when ``interrupt()`` turned true meanwhile."""
        decoded = self._decoded(index, interrupt)
        if size is None or size == self.size:
            return decoded.to_ndarray(format=pixel_format)
        return decoded.to_ndarray(format=pixel_format, width=size[0], height=size[1],
                                  interpolation=SCALING)

    def _decoded(self, index: int, interrupt: Interrupt = None):
        """The decoded ``av.VideoFrame`` of ``index`` (from the cache, or decoding to it)."""
        self._check(index)
        hit = self._cache.get(index)
        if hit is not None:
            self._cache.move_to_end(index)
            self.stats["hits"] += 1
            return hit
        return self._decode_range(index, index, interrupt)

    def fill(self, first: int, last: int, interrupt: Interrupt = None) -> None:
        """Decode so that every frame of ``first..last`` passes through the cache (all of them
        stay if the cache holds that many); nothing is done when they are all cached."""
        first, last = max(first, 0), min(last, len(self) - 1)
        if first <= last and not all(i in self._cache for i in range(first, last + 1)):
            self._decode_range(first, last, interrupt)

    def _check(self, index: int) -> None:
        if not 0 <= index < len(self):
            raise IndexError(f"frame {index} outside 0..{len(self) - 1}")

    def _decode_range(self, first: int, last: int, interrupt: Interrupt):
        """Decode every frame of ``first..last`` (from the decoder's place, or from the
        keyframe before ``first``); returns the decoded frame ``last``."""
        key = self.index.keyframe_before(first)
        if self._can_decode_on(key, first, last):
            self.stats["sequential"] += 1
            first = max(first, self._position + 1)  # those before are cached already
        else:
            self._seek(key)
        try:
            try:
                return self._decode_until(first, last, skip=True, interrupt=interrupt)
            except _Overshot:  # a skipped frame was wanted after all: decode every frame
                self._seek(key)
                return self._decode_until(first, last, skip=False, interrupt=interrupt)
        except IndexError:
            if self._index_checked:
                raise
        # the saved index disagrees with the file: rebuild it from the packets, then retry
        self._index_checked = True
        self._decoder = None
        self._cache.clear()
        self._used = 0
        self._use_index(self._demux_index())
        self._seek(self.index.keyframe_before(first))
        return self._decode_until(first, last, skip=False, interrupt=interrupt)

    def _can_decode_on(self, key: int, first: int, last: int) -> bool:
        """The decoder sits between the keyframe and ``last``, and every frame of the range it
        has passed already is cached: decoding on gives the rest without a seek."""
        position = self._position
        if self._decoder is None or not key <= position < last:
            return False
        return all(i in self._cache for i in range(first, position + 1))

    def can_prefetch(self, start: int, upto: int) -> bool:
        """True if the decoder sits in ``start - 1 .. upto - 1`` and a frame up to ``upto``
        is not cached yet: decoding on is worth it."""
        if self._decoder is None or not start - 1 <= self._position < min(upto, len(self) - 1):
            return False
        return not all(i in self._cache for i in range(self._position + 1,
                                                       min(upto, len(self) - 1) + 1))

    def prefetch(self, start: int, upto: int) -> bool:
        """Decode one more frame of ``start..upto`` if the decoder is there; True if it did.

        The viewer calls this while idle so that stepping and playback find frames ready.
        """
        return self.can_prefetch(start, upto) and self._next() is not None

    @property
    def cache_frames(self) -> int:
        """How many decoded frames of this video the cache holds (YUV 4:2:0 assumed until a
        frame has been decoded)."""
        width, height = self.size
        frame_bytes = next((_nbytes(f) for f in self._cache.values()),
                           width * height * 3 // 2)
        return max(1, self._cache_bytes // max(frame_bytes, 1))

    def _seek(self, key: int) -> None:
        self.stats["seeks"] += 1
        self._container.seek(self.index.pts[key], stream=self._stream, backward=True)
        self._decoder = self._container.decode(self._stream)
        self._position = key - 1

    def _decode_until(self, first: int, last: int, skip: bool, interrupt: Interrupt):
        ctx = self._stream.codec_context
        # frame threads delay output by one frame each: widen the window by as many
        window = _EXACT_WINDOW + max(ctx.thread_count, 1)
        wanted = first  # the next frame of the range the decoder must produce
        try:
            while True:
                if interrupt is not None and interrupt():
                    raise DecodeInterrupted
                # frames passed on the way are not kept, except those just before the range
                # (the next steps back): the cache keeps what the viewer filled or showed.
                # Skipping stops a window before those: frames skipped come out missing up to
                # a reorder delay later, and holes there made every step back seek again.
                far = skip and first - self._position > 2 * window
                ctx.skip_frame = "NONREF" if far else "DEFAULT"
                got = self._next(keep_from=first - window)
                if got is None:
                    raise IndexError(f"frame {wanted} could not be decoded")
                index, frame = got
                if index < first:
                    continue
                if index != wanted:  # frames come in display order: ``wanted`` was not there
                    if skip:
                        raise _Overshot
                    raise IndexError(f"frame {wanted} is not in the decoded stream")
                if index == last:
                    return frame
                wanted += 1
        finally:
            ctx.skip_frame = "DEFAULT"

    def _next(self, keep_from: int = 0) -> tuple[int, object] | None:
        """Decode the next frame, cache it (if at ``keep_from`` or later) and return
        ``(index, av.VideoFrame)``."""
        import av

        try:
            frame = next(self._decoder)
        except (StopIteration, av.error.EOFError):
            self._decoder = None
            return None
        index = self._by_pts.get(frame.pts)
        if index is None:  # a frame the demuxer did not list: skip it, keep the index honest
            return self._next(keep_from)
        self._position = index
        self.stats["decoded"] += 1
        if index >= keep_from:
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

