"""A small all-intra copy of the video for instant scrubbing, written while the worker decodes.

Seeking exactly in long-GOP H.264 means decoding from the previous keyframe: up to hundreds
of milliseconds at 1080p. The worker decodes every frame anyway, so it also keeps each one
as a small JPEG (``scrub.bin``, offsets in ``scrub.npy``): frame ``i`` of the proxy *is* frame
``i`` of the video, at lower resolution, one file read and one JPEG decode away. The viewer
shows it at once while the exact full-resolution frame is decoded, then swaps that in.

Encoding runs on a thread of its own behind a bounded queue, like the rendered outputs.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import numpy as np

from ambientpose_desktop.core.atomic import atomic_path

PROXY_DATA, PROXY_INDEX = "scrub.bin", "scrub.npy"
PROXY_HEIGHT = 360
_QUALITY = 80
_DONE = object()


def proxy_size(width: int, height: int) -> tuple[int, int]:
    """Proxy frame size: at most ``PROXY_HEIGHT`` high, aspect kept, even width."""
    if height <= PROXY_HEIGHT:
        return width, height
    return max(2, round(width * PROXY_HEIGHT / height / 2) * 2), PROXY_HEIGHT


class ScrubProxyWriter:
    """``add(rgb)`` per frame in order, then ``finish()``; ``abort()`` leaves nothing behind."""

    def __init__(self, folder: Path) -> None:
        self._folder = Path(folder)
        self._tmp = self._folder / f".{PROXY_DATA}.part"
        self._fh = open(self._tmp, "wb")  # noqa: SIM115 - closed by finish/abort
        self._offsets = [0]
        self._queue: queue.Queue = queue.Queue(maxsize=16)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="scrub-proxy", daemon=True)
        self._thread.start()

    def add(self, rgb: np.ndarray) -> None:
        if self._error is None:
            self._queue.put(rgb)

    def _loop(self) -> None:
        import cv2

        while (item := self._queue.get()) is not _DONE:
            if self._error is not None:
                continue
            try:
                width, height = proxy_size(item.shape[1], item.shape[0])
                small = cv2.resize(item, (width, height), interpolation=cv2.INTER_AREA)
                ok, data = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR),
                                        [cv2.IMWRITE_JPEG_QUALITY, _QUALITY])
                if not ok:
                    raise OSError("JPEG encoding failed")
                self._fh.write(data.tobytes())
                self._offsets.append(self._offsets[-1] + data.size)
            except BaseException as exc:  # reported by finish(); the run itself goes on
                self._error = exc

    def _join(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_DONE)
            self._thread.join()
        self._fh.close()

    def finish(self) -> list[str]:
        """Move the proxy into place; returns its file names ([] if encoding failed)."""
        self._join()
        if self._error is not None:
            self._tmp.unlink(missing_ok=True)
            return []
        with atomic_path(self._folder / PROXY_INDEX) as tmp, open(tmp, "wb") as fh:
            np.save(fh, np.asarray(self._offsets, np.int64))
        self._tmp.replace(self._folder / PROXY_DATA)
        return [PROXY_DATA, PROXY_INDEX]

    def abort(self) -> None:
        self._join()
        self._tmp.unlink(missing_ok=True)


class ScrubProxy:
    """Read side: ``jpeg(i)`` is the JPEG of frame ``i``; ``open`` returns None without one.

    After ``--max-frames`` the proxy covers only the frames processed: ``len(proxy)``.
    """

    def __init__(self, data: Path, offsets: np.ndarray) -> None:
        self._fh = open(data, "rb")  # noqa: SIM115 - closed by close()
        self._offsets = offsets
        self._lock = threading.Lock()

    @classmethod
    def open(cls, folder: Path, frames: int) -> ScrubProxy | None:
        folder = Path(folder)
        data, index = folder / PROXY_DATA, folder / PROXY_INDEX
        if not (data.exists() and index.exists()):
            return None
        offsets = np.load(index)
        if len(offsets) - 1 > frames or int(offsets[-1]) != data.stat().st_size:
            return None  # from another video or damaged: never show a wrong frame
        return cls(data, offsets)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def jpeg(self, index: int) -> bytes:
        start, end = int(self._offsets[index]), int(self._offsets[index + 1])
        with self._lock:
            self._fh.seek(start)
            return self._fh.read(end - start)

    def close(self) -> None:
        self._fh.close()
