"""Optional rendered outputs of a run: ``overlay.mp4`` and the seed's JPEG folders.

They are written by a thread of their own behind a bounded queue (the model does not wait on
the encoder), into temporary names that are renamed into place only when the run completes.
"""

from __future__ import annotations

import queue
import shutil
import threading
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from loguru import logger

from ambientpose_desktop.core.keypoints import KeypointFormat
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.core.poses import Person
from ambientpose_desktop.core.task_folder import OVERLAY_VIDEO, TaskFolder
from ambientpose_desktop.pipeline.overlay import draw_poses

_DONE = object()


# 90 kHz, MPEG's clock: exact for 24, 25, 30, 50, 60 and 30000/1001 fps and within 6 us of
# any source timestamp, so a variable-frame-rate source keeps its timing.
_TIME_BASE = Fraction(1, 90000)

# Timestamps closer than this are one frame: summary.json keeps 6 decimals.
_SAME_TIME_S = 2e-6


class OverlayVideoWriter:
    """H.264 MP4 through PyAV with each frame at its source timestamp (variable frame rate
    kept); even sizes as yuv420p requires. ``fps`` is the nominal rate, used for frames
    without a later timestamp (image folders)."""

    def __init__(self, path: Path, fps: float, width: int, height: int) -> None:
        import av

        self._container = av.open(str(path), mode="w", format="mp4")
        rate = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(25)
        self._stream = self._container.add_stream("libx264", rate=rate)
        self._stream.width, self._stream.height = width - width % 2, height - height % 2
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"crf": "20", "preset": "veryfast"}
        self._stream.codec_context.time_base = self._stream.time_base = _TIME_BASE
        self._step = round(1 / (rate * _TIME_BASE))
        self._last_pts: int | None = None

    def write(self, rgb: np.ndarray, timestamp: float) -> None:
        """Add a frame shown at ``timestamp`` seconds from the first."""
        import av

        frame = av.VideoFrame.from_ndarray(
            np.ascontiguousarray(rgb[: self._stream.height, : self._stream.width]), format="rgb24")
        pts = round(Fraction(timestamp) / _TIME_BASE)
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + self._step
        frame.pts, frame.time_base, self._last_pts = pts, _TIME_BASE, pts
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()


class RenderedOutputs:
    """Collects frames for the overlay video and JPEG folders; a no-op when none is asked."""

    def __init__(self, folder: Path, stem: str, fmt: KeypointFormat, fps: float,
                 video: bool, jpeg: bool) -> None:
        self._folder, self._stem, self._fmt, self._fps = folder, stem, fmt, fps
        self._video, self._jpeg = video, jpeg
        self._queue: queue.Queue = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._writer: OverlayVideoWriter | None = None
        self._count = 0
        self._temps: dict[str, Path] = {}
        if video or jpeg:
            self._thread = threading.Thread(target=self._loop, name="render", daemon=True)
            self._thread.start()

    @property
    def final_names(self) -> dict[str, str]:
        names = {}
        if self._video:
            names["video"] = OVERLAY_VIDEO
        if self._jpeg:
            names["frames"] = TaskFolder.frames_jpeg(self._stem)
            names["overlay"] = TaskFolder.overlay_jpeg(self._stem)
        return names

    def _temp(self, key: str) -> Path:
        if key not in self._temps:
            final = self.final_names[key]
            temp = self._folder / f".{final}.part"
            if key == "video":
                temp = self._folder / ".overlay.part.mp4"
            else:
                shutil.rmtree(temp, ignore_errors=True)
                temp.mkdir()
            self._temps[key] = temp
        return self._temps[key]

    def add(self, rgb: np.ndarray, persons: list[Person], timestamp: float) -> None:
        """Queue a frame (``timestamp``: seconds from the first, as the source decoded it)."""
        if self._thread is None:
            return
        if self._error is not None:
            raise RuntimeError(f"writing rendered outputs failed: {self._error}")
        self._queue.put((rgb, persons, timestamp))

    def _loop(self) -> None:
        import cv2

        while True:
            item: Any = self._queue.get()
            if item is _DONE:
                return
            if self._error is not None:
                continue  # drain so the producer never blocks
            rgb, persons, timestamp = item
            try:
                drawn = draw_poses(rgb, persons, self._fmt)
                if self._video:
                    if self._writer is None:
                        self._writer = OverlayVideoWriter(self._temp("video"), self._fps,
                                                          rgb.shape[1], rgb.shape[0])
                    self._writer.write(drawn, timestamp)
                if self._jpeg:
                    name = f"frame_{self._count:06d}.jpg"
                    for key, image in (("frames", rgb), ("overlay", drawn)):
                        path = self._temp(key) / name
                        ok, data = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
                        if not ok:
                            raise OSError(f"cannot encode {name}")
                        path.write_bytes(data.tobytes())
                self._count += 1
            except BaseException as exc:  # reported to the producer on its next add/finish
                self._error = exc

    def _join(self) -> None:
        if self._thread is not None:
            self._queue.put(_DONE)
            self._thread.join()
            self._thread = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def finish(self, stop: threading.Event) -> list[str]:
        """Flush, then move every output to its final name; returns those names."""
        self._join()
        if self._error is not None:
            self.abort()
            raise RuntimeError(f"writing rendered outputs failed: {self._error}")
        if stop.is_set():
            self.abort()
            return []
        done = []
        for key, temp in self._temps.items():
            final = self._folder / self.final_names[key]
            if final.is_dir():
                shutil.rmtree(final)
            temp.replace(final)
            done.append(final.name)
        return done

    def abort(self) -> None:
        try:
            self._join()
        except Exception as exc:  # cleanup must go on whatever the encoder says
            logger.debug("closing rendered outputs: {}", exc)
        for temp in self._temps.values():
            if temp.is_dir():
                shutil.rmtree(temp, ignore_errors=True)
            else:
                temp.unlink(missing_ok=True)
        self._temps.clear()


def draw_source(rendered: RenderedOutputs, source_path: Path, table: PoseTable,
                timestamps: Sequence[float], check: Callable[[], None],
                progress: Callable[[int, int], None] | None = None,
                limit: int | None = None) -> None:
    """Decode ``source_path`` again and queue its frames with their poses, for the worker's
    overlay outputs and for export alike: the first ``limit`` frames, or the whole source
    (frames past the results drawn bare).

    A video's frames are matched to the results by the timestamps the run recorded
    (``timestamps``, seconds from the first frame), not by decoding position, so a frame the
    decoder of a damaged file leaves out this time shifts no poses onto the wrong frame; a
    frame the run did not have is drawn bare. Damage ends decoding with the ``DecodeError``
    that ended the run: what decoded is drawn. ``check`` is called for each frame (it raises
    to stop).
    """
    from ambientpose_desktop.core.errors import DecodeError
    from ambientpose_desktop.pipeline.video import open_source

    results = table.num_frames
    stamps = list(timestamps)
    source = open_source(source_path)
    by_time = source.info.kind == "video" and len(stamps) == results and all(
        b > a for a, b in zip(stamps, stamps[1:], strict=False))
    total = limit if limit is not None else max(source.info.frame_count, results)
    frames = source.frames(limit)
    drawn = result = 0
    try:
        for index, timestamp, rgb in frames:
            check()
            if by_time:
                while result < results and stamps[result] < timestamp - _SAME_TIME_S:
                    result += 1
                found = result < results and stamps[result] <= timestamp + _SAME_TIME_S
            else:
                result, found = index, index < results
            rendered.add(rgb, table.persons(result) if found else [], timestamp)
            drawn += 1
            if progress is not None:
                progress(drawn, max(total, drawn))
    except DecodeError as exc:  # the damage that ended the run: what decoded is drawn
        if drawn < results:
            logger.warning("drawing stopped at frame {} of {}: {}", drawn, results, exc)
    finally:
        frames.close()  # end the decoding generator before its container (PyAV crashes else)
        source.close()
