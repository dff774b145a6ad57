"""A small short-GOP copy of the video for instant scrubbing, written while the worker decodes.

Seeking exactly in long-GOP H.264 means decoding from the previous keyframe: up to hundreds
of milliseconds at 1080p. The worker decodes every frame anyway, so it also encodes each one
at 360p into ``scrub.mp4`` (H.264, a keyframe every 8 frames, no B-frames): frame ``i`` of the
proxy *is* frame ``i`` of the video, at lower resolution, and any frame is at most 8 small
decodes away (~1-2 ms). The viewer shows it at once while the exact full-resolution frame is
decoded, then swaps that in. At 2-3 KiB a frame it costs ~0.3 GB per hour of 30 fps video
(JPEGs of the same size would take ~3 GB).

Encoding runs on a thread of its own behind a bounded queue, like the rendered outputs.
"""

from __future__ import annotations

import queue
import threading
from fractions import Fraction
from pathlib import Path

import numpy as np

from ambientpose_desktop.core.task_folder import SCRUB_PROXY
from ambientpose_desktop.pipeline.helper_threads import helper_thread

PROXY_HEIGHT = 360
PROXY_GOP = 8
# Proxy frame i is shown at i / RATE seconds: its timestamps name the frame, not the time.
_RATE = Fraction(30)
_DONE = object()


def proxy_size(width: int, height: int) -> tuple[int, int]:
    """Proxy frame size: at most ``PROXY_HEIGHT`` high, aspect kept, even sides."""
    if height > PROXY_HEIGHT:
        width, height = round(width * PROXY_HEIGHT / height), PROXY_HEIGHT
    return max(2, width - width % 2), max(2, height - height % 2)


class ScrubProxyWriter:
    """``add(rgb)`` per frame in order, then ``finish()``; ``abort()`` leaves nothing behind.

    ``source_size``: the video's (width, height), which sets the proxy's size; the frames
    added may be smaller (the model's prescaled ones, which cost nothing more to reuse) or
    the video's own. Without it the first frame's size sets it. ``below_model``: see
    ``helper_threads``.
    """

    def __init__(self, folder: Path, name: str = SCRUB_PROXY,
                 source_size: tuple[int, int] | None = None, below_model: bool = False) -> None:
        self._folder = Path(folder)
        self._source_size = source_size
        self._final = self._folder / name
        self._tmp = self.partial(self._folder, name)
        self._container = None
        self._stream = None
        self._count = 0
        self._queue: queue.Queue = queue.Queue(maxsize=16)
        self._error: BaseException | None = None
        self._thread = helper_thread(self._loop, "scrub-proxy", below_model)
        self._thread.start()

    @staticmethod
    def partial(folder: Path, name: str = SCRUB_PROXY) -> Path:
        """Where the proxy is written until it is finished (left behind by a killed run)."""
        return Path(folder) / f".{name}.part.mp4"

    def add(self, rgb: np.ndarray) -> None:
        if self._error is None:
            self._queue.put(rgb)

    def _open(self, width: int, height: int) -> None:
        import av

        self._container = av.open(str(self._tmp), mode="w", format="mp4")
        stream = self._container.add_stream("libx264", rate=_RATE)
        stream.width, stream.height = proxy_size(width, height)
        stream.pix_fmt = "yuv420p"
        # One encoding thread: the proxy is small, and the cores belong to the model. The
        # ``ultrafast`` preset: 1.2 ms a 360p frame against veryfast's 2.7 (measured on one
        # core), for about twice the bytes (2-3 KiB a frame): a scrubbing copy's fair trade.
        stream.options = {"g": str(PROXY_GOP), "bf": "0", "crf": "30", "preset": "ultrafast",
                          "tune": "fastdecode", "threads": "1"}
        self._stream = stream

    def _encode(self, rgb: np.ndarray) -> None:
        import av
        import cv2

        if self._container is None:
            self._open(*(self._source_size or (rgb.shape[1], rgb.shape[0])))
        size = (self._stream.width, self._stream.height)
        if rgb.shape[1::-1] != size:
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        # to the encoder's YUV 4:2:0 here: OpenCV's conversion costs a third of the one
        # libswscale would make inside ``encode`` from RGB
        yuv = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2YUV_I420)
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        frame.pts, frame.time_base = self._count, 1 / _RATE
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self._count += 1

    def _loop(self) -> None:
        while (item := self._queue.get()) is not _DONE:
            if self._error is None:
                try:
                    self._encode(item)
                except BaseException as exc:  # reported by finish(); the run itself goes on
                    self._error = exc

    def _close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_DONE)
            self._thread.join()
        if self._container is not None:
            try:
                if self._error is None:
                    for packet in self._stream.encode():
                        self._container.mux(packet)
            finally:
                self._container.close()
                self._container = None

    def finish(self) -> list[str]:
        """Move the proxy into place; returns its file name ([] if encoding failed)."""
        try:
            self._close()
        except Exception as exc:  # the proxy is optional: never fail a run over it
            self._error = exc
        if self._error is not None or self._count == 0:
            self._tmp.unlink(missing_ok=True)
            return []
        self._tmp.replace(self._final)
        return [self._final.name]

    def abort(self) -> None:
        try:
            self._close()
        finally:
            self._tmp.unlink(missing_ok=True)


class ScrubProxy:
    """Read side: ``frame(i)`` is frame ``i`` at proxy size; ``open`` returns None without one.

    After ``--max-frames`` the proxy covers only the frames processed: ``len(proxy)``.
    """

    def __init__(self, container) -> None:
        self._container = container
        self._stream = container.streams.video[0]
        self._frames = int(self._stream.frames)
        self._lock = threading.Lock()

    @classmethod
    def open(cls, folder: Path, frames: int) -> ScrubProxy | None:
        import av

        path = Path(folder) / SCRUB_PROXY
        if not path.exists():
            return None
        try:
            container = av.open(str(path))
        except (av.error.FFmpegError, OSError):
            return None
        proxy = cls(container) if container.streams.video else None
        if proxy is None or not 0 < len(proxy) <= frames:
            container.close()
            return None  # damaged, or from a longer video: never show a wrong frame
        return proxy

    def __len__(self) -> int:
        return self._frames

    def frame(self, index: int, pixel_format: str = "bgra") -> np.ndarray:
        """Frame ``index`` as an array (BGRA by default, as the viewer paints it)."""
        if not 0 <= index < len(self):
            raise IndexError(f"frame {index} outside the proxy's 0..{len(self) - 1}")
        tick = self._stream.time_base
        with self._lock:
            self._container.seek(round(index / _RATE / tick), stream=self._stream,
                                 backward=True)
            for frame in self._container.decode(self._stream):
                at = round(frame.pts * tick * _RATE)
                if at == index:
                    return frame.to_ndarray(format=pixel_format)
                if at > index:
                    break
        raise IndexError(f"frame {index} is missing from the proxy")

    def close(self) -> None:
        self._container.close()
