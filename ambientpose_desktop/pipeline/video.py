"""Frame sources: videos through PyAV and folders of images.

A source yields ``(index, timestamp_s, rgb_frame)`` in order. Containers are recognised by
content (FFmpeg probes the bytes), so an MP4 named ``.avi`` opens fine. Timestamps come from
each frame's presentation time, so variable frame rate survives into the results.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from loguru import logger
from natsort import os_sorted

from ambientpose_desktop.core.errors import DecodeError, InputError
from ambientpose_desktop.core.media import is_image_name
from ambientpose_desktop.core.summary import SourceInfo
from ambientpose_desktop.pipeline.pts_order import REORDER_WINDOW, PtsReorder

if TYPE_CHECKING:
    from ambientpose_desktop.pipeline.frame_index import FrameIndex

Frame = tuple[int, float, np.ndarray]


def check_readable(path: Path, folder: str = "a folder; use --image-dir for a folder of images"
                   ) -> None:
    """``InputError`` unless ``path`` is a file this process may read (``folder``: what to say
    of a folder)."""
    if not path.exists():
        raise InputError(f"{path} does not exist")
    if path.is_dir():
        raise InputError(f"{path} is {folder}")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path} cannot be read (permission denied)")


def _check_file(path: Path) -> None:
    check_readable(path)
    if path.stat().st_size == 0:
        raise InputError(f"{path.name} is empty (0 bytes)")


class VideoSource:
    """A video decoded with PyAV (FFmpeg), frame-threaded."""

    reorder_window = REORDER_WINDOW  # frames held to put a damaged stream back in order

    def __init__(self, path: str | Path) -> None:
        import av  # local: keeps `import ambientpose_desktop.pipeline` light for the GUI

        self.path = Path(path)
        _check_file(self.path)
        try:
            self._container = av.open(str(self.path))
        except av.error.FFmpegError as exc:
            from ambientpose_desktop.pipeline.media_check import INDEX_MISSING, index_missing

            if index_missing(self.path):  # say why, as the integrity check does
                raise InputError(f"{self.path.name}: {INDEX_MISSING}") from None
            raise InputError(
                f"{self.path.name} is not a video that can be read "
                f"(damaged, incomplete or not a video file: {exc.strerror or exc})"
            ) from None
        if not self._container.streams.video:
            self._container.close()
            raise InputError(f"{self.path.name} has no video stream (audio only?)")
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        # FFmpeg reads a still image through an image demuxer: ``image2`` (chosen by name) or
        # one ``<codec>_pipe`` per image codec (png_pipe, jpeg_pipe, webp_pipe, …).
        demuxer = self._container.format.name
        self.is_image = demuxer.startswith("image2") or demuxer.endswith("_pipe")
        self.info = self._read_info()
        # What each decoded frame was, for the viewer's frame index (pipeline/frame_index.py),
        # in 9 bytes a frame (lists of Python ints took 44): a long video must not grow the
        # worker. ``pts_missing``: a frame came without a timestamp (no index then).
        self.time_base = float(self._stream.time_base or 0)
        self.decoded_pts = array("q")
        self.decoded_keyframe = bytearray()
        self.pts_missing = False
        self._index: FrameIndex | None = None

    def decode_on_one_thread(self) -> None:
        """No frame threads: for a run whose model has the CPU's cores (before the first
        frame). FFmpeg's frame threads, one per core and one more, took turns with the
        model's own threads on 2 cores (detect 0.82 -> 0.85x the model's rate); one thread
        still decodes 1080p H.264 several times faster than a CPU model infers."""
        self._stream.thread_type = "SLICE"
        self._stream.codec_context.thread_count = 1

    def _read_info(self) -> SourceInfo:
        stream = self._stream
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 0.0
        duration = 0.0
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif self._container.duration:
            duration = self._container.duration / 1_000_000
        count = stream.frames or (round(duration * fps) if fps else 0)
        return SourceInfo(
            path=str(self.path), kind="video",
            width=stream.codec_context.width, height=stream.codec_context.height,
            fps=round(fps, 6), frame_count=int(count), frame_count_claimed=int(count),
            duration_s=round(duration, 6),
            codec=stream.codec_context.name or "",
        )

    def frames(self, max_frames: int | None = None, start: int = 0) -> Iterator[Frame]:
        """Decode in presentation order, from frame ``start`` (exactly that frame, see
        ``_seek``) to the end or to before frame ``max_frames`` (counted from the video's first
        frame, as the task parameter is). Timestamps are from the video's first frame whatever
        ``start``. Frames are numbered by pts (``pipeline/pts_order.py``): those a damaged
        stream repeats or sends back too far are dropped and counted in
        ``info.frames_dropped``. A damaged stream raises ``DecodeError`` after the good
        frames."""
        import av

        order: PtsReorder = PtsReorder(self.reorder_window)
        decoded = self._in_pts_order(order)
        index = 0
        first: float | None = None
        target: int | None = None  # pts of frame ``start``: earlier frames are dropped
        if start > 0:
            index, first, target = self._seek(start)
            if index > start:  # past the end
                return
        skip = start - index  # frames to drop by count (a video without timestamps)
        try:
            for frame in decoded:
                if target is not None and frame.pts is not None and frame.pts < target:
                    continue
                if max_frames is not None and index >= max_frames:
                    return
                t = float(frame.time) if frame.time is not None else index / (self.info.fps or 1)
                first = t if first is None else first
                if skip > 0:
                    skip -= 1
                    index += 1
                    continue
                self.pts_missing |= frame.pts is None
                self.decoded_pts.append(frame.pts or 0)
                self.decoded_keyframe.append(bool(frame.key_frame))
                yield index, t - first, frame.to_ndarray(format="rgb24")
                index += 1
                if max_frames is not None and index >= max_frames:
                    return
        except av.error.FFmpegError as exc:
            self._raise_damaged(index, exc.strerror or str(exc))
        finally:
            decoded.close()  # end the decoding generator before its container (PyAV crashes else)
            self.info.frames_dropped = order.dropped
        # Threaded decoding can end silently at damage; the container's own count tells.
        claimed = self._stream.frames
        if claimed and claimed - index - order.dropped > max(2, claimed // 100):
            self._raise_damaged(index, "the file ends early")

    def _in_pts_order(self, order: PtsReorder) -> Iterator:
        """The decoder's frames through ``order``; at damage the frames held come out first."""
        decoding = self._container.decode(self._stream)
        try:
            for frame in decoding:
                yield from order.push(frame.pts, frame)
        except Exception:
            yield from order.flush()
            raise
        finally:
            decoding.close()
        yield from order.flush()

    @property
    def warnings(self) -> list[str]:
        """For ``summary.json``: what decoding left out, and why."""
        dropped = self.info.frames_dropped
        return [f"decoding left out {dropped} frames whose timestamps repeated or went back "
                "(damage inside the video)"] if dropped else []

    def frame_index(self) -> FrameIndex:
        """Every frame's timestamp and the keyframes, by demuxing the whole file once (no
        decoding; seconds for an hour of 1080p); ``InputError`` when frames lack timestamps."""
        from ambientpose_desktop.pipeline.frame_index import build_index

        if self._index is None:
            self._index = build_index(self._container, self._stream)
        return self._index

    def _seek(self, start: int) -> tuple[int, float | None, int | None]:
        """Put the decoder before frame ``start``: jump to the keyframe at or before it; the
        caller drops the decoded frames whose timestamp is earlier than that frame's (B-frames
        of the GOP before it come out too). Returns the frame reached, the first frame's time
        (timestamps count from it) and that timestamp (a frame after ``start`` when there is
        no such frame); without timestamps, the caller decodes from frame 0 and drops
        ``start`` frames by count instead: slow but still exact."""
        try:
            index = self.frame_index()
        except InputError:
            return 0, None, None
        if start >= len(index.pts):
            return start + 1, None, None  # past the end: nothing to decode
        base = self._stream.time_base
        first = float(index.pts[0]) * base.numerator / base.denominator  # as ``frame.time``
        keyframe = index.pts[index.keyframe_before(start)]
        self._container.seek(keyframe, backward=True, any_frame=False, stream=self._stream)
        return start, first, index.pts[start]

    def seconds(self, pts: int) -> float:
        """The time PyAV gives a frame of presentation time ``pts`` (the same float, so
        chunks of a video joined have the timestamps of one run)."""
        return float(pts * self._stream.time_base)

    def _raise_damaged(self, index: int, reason: str) -> None:
        total = self._stream.frames
        of = f" of {total}" if total else ""
        raise DecodeError(
            f"{self.path.name} is damaged: decoding stopped after frame {index}{of} ({reason})",
            frames_decoded=index,
        )

    def close(self) -> None:
        self._container.close()


class ImageFolderSource:
    """Images of a folder in natural order (img2 before img10); other files are skipped, and
    so are images that cannot be read: they are no frame (``info.frame_names`` ends up listing
    the images used, in order, which exports take ids from) and ``warnings`` names them."""

    def __init__(self, folder: str | Path, fps: float = 0.0) -> None:
        self.path = Path(folder)
        if not self.path.is_dir():
            raise InputError(f"{self.path} is not a folder")
        files = []
        for entry in os_sorted(self.path.iterdir()):
            if entry.is_file() and is_image_name(entry):
                files.append(entry)
            elif entry.is_file():
                logger.info("skipping {}: not an image", entry.name)
        if not files:
            raise InputError(f"{self.path} contains no images (jpg, png, bmp, tif, webp)")
        self.files = files
        first = next((image for image in map(_read_image, files) if image is not None), None)
        if first is None:
            raise InputError(f"{self.path} contains no image that can be read")
        self.unreadable: list[str] = []
        self.info = SourceInfo(
            path=str(self.path), kind="images", width=first.shape[1], height=first.shape[0],
            fps=float(fps), frame_count=len(files), frame_count_claimed=len(files),
            duration_s=0.0, frame_names=[f.name for f in files],
        )

    def frames(self, max_frames: int | None = None, start: int = 0) -> Iterator[Frame]:
        """Frames ``start`` to before ``max_frames``, counted among the readable images (an
        unreadable one is no frame), so a resumed run numbers them as its first part did."""
        step = 1.0 / self.info.fps if self.info.fps else 0.0
        used: list[str] = []
        self.unreadable = []
        try:
            for path in self.files:
                if max_frames is not None and len(used) >= max_frames:
                    return
                image = _read_image(path)
                if image is None:
                    logger.warning("skipping {}: not an image that can be read", path.name)
                    self.unreadable.append(path.name)
                    continue
                used.append(path.name)
                index = len(used) - 1
                if index >= start:
                    yield index, index * step, image
        finally:
            self.info.frame_names = used
            self.info.frames_dropped = len(self.unreadable)

    @property
    def warnings(self) -> list[str]:
        """For ``summary.json``: the images left out."""
        return [f"skipped {name}: not an image that can be read" for name in self.unreadable]

    def close(self) -> None:
        pass


def _read_image(path: Path) -> np.ndarray | None:
    import cv2

    # np.fromfile + imdecode handles non-ASCII paths, which cv2.imread does not on Windows.
    data = np.fromfile(str(path), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    return None if image is None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


FrameSource = VideoSource | ImageFolderSource


def open_source(path: str | Path) -> FrameSource:
    path = Path(path)
    return ImageFolderSource(path) if path.is_dir() else VideoSource(path)


def probe(path: str | Path) -> SourceInfo:
    """Content check before a task is created: opens the file and decodes up to two frames.

    Raises ``InputError`` with the reason a user can read when it is not a usable video. A
    still image under a video's name (a PNG renamed ``.mp4``: FFmpeg reads it as a one-frame
    ``png_pipe``), or a file of one frame in any codec, is not one: an image sequence is a
    folder of images.
    """
    source = open_source(path)
    name = Path(path).name
    if isinstance(source, VideoSource):
        source.reorder_window = 0  # two frames in any order tell; holding 16 would decode 18
    try:
        decoded = sum(1 for _ in source.frames(max_frames=2))
        if decoded == 0:
            raise InputError(f"{name} contains no decodable frames")
        if isinstance(source, VideoSource) and (source.is_image or decoded == 1):
            raise InputError(f"{name} is a still image ({source.info.codec}), not a video")
        return replace(source.info)
    except DecodeError as exc:
        raise InputError(str(exc)) from None
    finally:
        source.close()
