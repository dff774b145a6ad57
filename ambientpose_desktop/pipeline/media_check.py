"""The integrity check of a video: what a user should know before processing it.

Two passes over the file (``core/media_check.py`` names the findings):

1. **container** (no decoding, ≥ 50× real time on 1080p): the MP4 box layout (an MP4 without
   ``moov`` was cut before it was finalised), then every packet of the video stream: how many,
   their timestamps (variable frame rate, shortest and longest interval), where the keyframes
   are (long GOPs seek slowly) and whether the file holds every packet its header announces;
2. **decoding** (skipped when ``quick``): damage inside the packets shows only here, as
   packets the decoder refuses, frames it marks corrupt or frames that never come out; it gives
   the exact number of frames that decode. Decoding is frame-threaded, as the worker's is;
   where that finds damage the file is decoded again on one thread, because how far error
   concealment spreads under threads depends on their timing (the same damaged file gave
   different first bad frames from one run to the next), and the findings must not.

``progress(fraction)`` is called as it goes; ``stop()`` returning true ends it with
``CheckStopped``, so a background check can be dropped when its task is removed.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ambientpose_desktop.core.media_check import LONG_GOP_FRAMES, MediaCheck
from ambientpose_desktop.pipeline.video import check_readable

Progress = Callable[[float], None]
Stop = Callable[[], bool]

# Share of the progress bar the container pass takes when the decoding pass follows.
_CONTAINER_SHARE = 0.05
_REPORT_EVERY = 64  # packets between progress calls and stop checks
# Intervals that differ by less than this share of the usual one are one frame rate (timestamps
# rounded to a coarse time base jitter by a tick).
_VFR_TOLERANCE = 0.2


INDEX_MISSING = ("the MP4 has no index (no moov box): the recording was cut off before it was "
                 "finalised, so its frames cannot be found")


class CheckStopped(Exception):
    """``stop()`` asked the check to end before it finished."""


def check_media(path: str | Path, quick: bool = False, progress: Progress | None = None,
                stop: Stop | None = None) -> MediaCheck:
    """Check the video at ``path``; ``InputError`` when there is no file to check at all."""
    import av

    path = Path(path)
    check_readable(path, folder="a folder, not a video")  # an empty file is a finding
    if path.stat().st_size == 0:
        return MediaCheck(ok=False, quick=quick, problems=["the file is empty (0 bytes)"])
    layout = _mp4_layout(path)
    if layout is not None and not layout.has_moov:
        return MediaCheck(ok=False, quick=quick, index_missing=True, problems=[INDEX_MISSING])
    report = progress or (lambda fraction: None)
    stopped = stop or (lambda: False)
    try:
        container = av.open(str(path))
    except av.error.FFmpegError as exc:
        return MediaCheck(ok=False, quick=quick, problems=[
            f"not a video FFmpeg can read ({exc.strerror or exc})"])
    with container:
        found = _stream_problem(container)
        if found is not None:
            found.quick = quick
            return found
        stream = container.streams.video[0]
        share = 1.0 if quick else _CONTAINER_SHARE
        packets = _container_pass(container, stream, path.stat().st_size,
                                  lambda f: report(f * share), stopped)
        check = _findings(stream, packets, layout, quick)
    if not quick and packets.count:
        _decoding_pass(path, packets, check, lambda f: report(share + f * (1 - share)), stopped)
    check.ok = not check.problems
    report(1.0)
    return check


def index_missing(path: str | Path) -> bool:
    """An MP4 (ISO-BMFF) file without its ``moov`` box; reads a few bytes per top box."""
    layout = _mp4_layout(Path(path))
    return layout is not None and not layout.has_moov


class _Mp4Layout:
    def __init__(self, has_moov: bool, cut: bool) -> None:
        self.has_moov = has_moov
        self.cut = cut  # a box runs past the end of the file


_MP4_TOP_BOXES = {b"ftyp", b"styp", b"moov", b"mdat", b"free", b"skip", b"wide", b"uuid",
                  b"moof", b"mfra", b"sidx", b"meta", b"pdin", b"prft", b"emsg"}


def _mp4_layout(path: Path) -> _Mp4Layout | None:
    """Walk the top-level boxes of an ISO-BMFF file (MP4, MOV, 3GP); ``None`` if it is not
    one. Reads 16 bytes per box, whatever the file's size."""
    size = path.stat().st_size
    names: set[bytes] = set()
    cut = False
    with path.open("rb") as f:
        offset = 0
        while offset + 8 <= size:
            f.seek(offset)
            header = f.read(16)
            length, name = int.from_bytes(header[:4], "big"), header[4:8]
            if offset == 0 and name not in (b"ftyp", b"styp", b"moov", b"mdat", b"free",
                                            b"wide", b"skip"):
                return None
            if length == 1 and len(header) == 16:
                length = int.from_bytes(header[8:16], "big")
            elif length == 0:  # "to the end of the file"
                length = size - offset
            if length < 8 or name not in _MP4_TOP_BOXES and not name.isalnum():
                break  # garbage after the last box: FFmpeg reads what precedes it
            names.add(name)
            if offset + length > size:
                cut = True
            offset += length
    if b"ftyp" not in names and b"moov" not in names:
        return None
    return _Mp4Layout(has_moov=b"moov" in names, cut=cut)


def _stream_problem(container) -> MediaCheck | None:
    """Why there is no decodable video stream, or ``None`` when there is one."""
    import av

    if not container.streams.video:
        kind = "audio only: " if container.streams.audio else ""
        return MediaCheck(ok=False, problems=[f"{kind}the file has no video stream"])
    stream = container.streams.video[0]
    demuxer = container.format.name
    context = stream.codec_context
    name = context.name if context is not None else ""
    if demuxer.startswith("image2") or demuxer.endswith("_pipe"):
        return MediaCheck(ok=False, codec=name, problems=[
            f"a still image ({name}), not a video"])
    try:
        if not name or name == "none":
            raise av.codec.codec.UnknownCodecError(name)
        av.codec.Codec(name, "r")
    except (av.codec.codec.UnknownCodecError, ValueError):
        tag = getattr(context, "codec_tag", "") if context is not None else ""
        label = name if name and name != "none" else (tag.strip() or "unknown")
        return MediaCheck(ok=False, codec=label, problems=[
            f"unsupported codec: {label} (FFmpeg here has no decoder for it)"])
    return None


class _Packets:
    """What the container pass keeps of each packet: 9 bytes, whatever the video's length."""

    def __init__(self) -> None:
        self.pts = array("q")  # presentation time (decode time where there is none)
        self.keyframes = array("q")  # packet numbers (decode order) of the keyframes
        self.count = 0
        self.last_dts: int | None = None
        self.missing_pts = 0
        self.error: str = ""  # the demuxer stopped here


def _container_pass(container, stream, size: int, report: Progress, stopped: Stop) -> _Packets:
    import av

    packets = _Packets()
    try:
        for packet in container.demux(stream):
            if packet.size == 0:  # the flush packet at the end
                continue
            time = packet.pts if packet.pts is not None else packet.dts
            if time is None:
                packets.missing_pts += 1
            else:
                packets.pts.append(time)
            if packet.dts is not None:
                packets.last_dts = packet.dts
            if packet.is_keyframe:
                packets.keyframes.append(packets.count)
            packets.count += 1
            if packets.count % _REPORT_EVERY == 0:
                if stopped():
                    raise CheckStopped()
                if packet.pos is not None and packet.pos >= 0 and size:
                    report(min(packet.pos / size, 1.0))
    except av.error.FFmpegError as exc:
        packets.error = exc.strerror or str(exc)
    return packets


def _findings(stream, packets: _Packets, layout: _Mp4Layout | None, quick: bool) -> MediaCheck:
    """The container pass's findings (the decoding pass adds its own)."""
    tb = float(stream.time_base or 0)
    pts = np.unique(np.frombuffer(packets.pts, np.int64)) if packets.pts else np.empty(0, int)
    duplicates = len(packets.pts) - pts.size
    announced = stream.frames or 0
    cut = bool(packets.error) or announced > packets.count or bool(layout and layout.cut)
    if cut and packets.last_dts is not None:
        # Packets after the cut are decoded after the last one read, so every lost frame is
        # shown after its decode time: the frames shown before it are whole.
        whole = pts[pts <= packets.last_dts]
        pts = whole if whole.size else pts
    check = MediaCheck(ok=False, frames=packets.count, codec=stream.codec_context.name,
                       quick=quick)
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    intervals = np.diff(pts) * tb if pts.size > 1 and tb else np.empty(0)
    if intervals.size:
        low, high, usual = (float(intervals.min()), float(intervals.max()),
                            float(np.median(intervals)))
        check.min_interval_s, check.max_interval_s = round(low, 6), round(high, 6)
        check.vfr = high - low > _VFR_TOLERANCE * usual
        check.duration_s = round(float(pts[-1] - pts[0]) * tb + float(intervals[-1]), 6)
        if check.vfr:
            check.warnings.append(f"variable frame rate: {low * 1000:.1f} ms to "
                                  f"{high * 1000:.1f} ms between frames")
    if duplicates:
        check.warnings.append(f"{duplicates} frames share a timestamp with another")
    if packets.missing_pts:
        check.warnings.append(f"{packets.missing_pts} frames have no timestamp")
    fps = float(rate) if rate else (
        (pts.size - 1) / float(pts[-1] - pts[0]) / tb if intervals.size else 0.0)
    check.fps = round(fps, 6)
    if not check.duration_s and fps:
        check.duration_s = round(packets.count / fps, 6)
    starts = list(packets.keyframes) + [packets.count]
    if packets.keyframes:
        check.keyframe_interval = int(np.diff(starts).max())
        if starts[0] > 0:
            check.problems.append(f"the first {starts[0]} frames come before the first "
                                  "keyframe: they cannot be decoded")
            check.damaged_from_frame = 0
    if (check.keyframe_interval or 0) > LONG_GOP_FRAMES:
        seconds = f" ({check.keyframe_interval / fps:.1f} s)" if fps else ""
        check.warnings.append(f"long GOP: up to {check.keyframe_interval} frames{seconds} "
                              "between keyframes, so seeking is slow")
    if packets.count == 0:
        check.problems.append("the video stream has no frames")
    if packets.error:
        check.problems.append(f"the container is damaged after frame {packets.count}: "
                              f"{packets.error}")
    elif cut:
        of = f" of the {announced} frames its index announces" if announced else ""
        check.problems.append(f"the file is cut short: it holds {packets.count}{of}")
    if cut:
        check.damaged_from_frame = _first(check.damaged_from_frame, int(pts.size))
    return check


def _decoding_pass(path: Path, packets: _Packets, check: MediaCheck, report: Progress,
                   stopped: Stop) -> None:
    """Decode every packet, frame-threaded as the worker does; where that finds damage, once
    more on one thread: how far concealment spreads under threads depends on their timing, and
    the findings must not."""
    import av

    with av.open(str(path)) as container:
        found = _decode(container, "AUTO", packets, report, stopped)
    if found.damaged(packets):
        with av.open(str(path)) as container:
            found = _decode(container, "NONE", packets, lambda f: None, stopped)
    check.frames = found.frames
    _damage(check, packets, found)


class _Decoded:
    """What the decoder said: times of the frames out, of the corrupt ones, of the packets it
    refused."""

    def __init__(self) -> None:
        self.frames = 0
        self.pts = array("q")
        self.corrupt = array("q")
        self.refused = array("q")

    def damaged(self, packets: _Packets) -> bool:
        return bool(self.corrupt or self.refused or self.frames < packets.count)


def _decode(container, threads: str, packets: _Packets, report: Progress,
            stopped: Stop) -> _Decoded:
    """No pixel conversion: only what the decoder says counts."""
    import av

    stream = container.streams.video[0]
    stream.thread_type = threads
    if threads == "NONE":
        stream.codec_context.thread_count = 1
    context = stream.codec_context
    found = _Decoded()

    def take(out) -> None:
        for frame in out:
            found.frames += 1
            if frame.pts is None:  # counted, but has no place among the packets' times
                continue
            found.pts.append(frame.pts)
            if frame.is_corrupt:
                found.corrupt.append(frame.pts)

    for done, packet in enumerate(container.demux(stream), start=1):
        time = packet.pts if packet.pts is not None else packet.dts
        try:
            take(context.decode(packet))
        except av.error.EOFError:
            break
        except av.error.FFmpegError:
            if time is not None:
                found.refused.append(time)
        if done % _REPORT_EVERY == 0:
            if stopped():
                raise CheckStopped()
            report(min(done / packets.count, 1.0))
    return found


def _damage(check: MediaCheck, packets: _Packets, found: _Decoded) -> None:
    """Turn what the decoder said into ``damaged_from_frame`` and one line of findings."""
    frames, corrupt, refused = found.frames, found.corrupt, found.refused
    expected = np.unique(np.frombuffer(packets.pts, np.int64)) if packets.pts else None
    if frames == 0:
        check.problems.append("no frame of the video decodes")
        check.damaged_from_frame = 0
        return
    if expected is None:
        return
    got = np.frombuffer(found.pts, np.int64)
    lost = np.setdiff1d(expected, got)
    bad = np.union1d(np.frombuffer(corrupt, np.int64), np.frombuffer(refused, np.int64))
    bad = np.intersect1d(bad, expected)
    first = np.union1d(lost, bad)
    if not first.size:
        return
    frame = int(np.searchsorted(expected, first[0]))
    check.damaged_from_frame = _first(check.damaged_from_frame, frame)
    if any(p.startswith("the file is cut short") for p in check.problems) and not bad.size:
        return  # the frames lost are those the cut took: already said
    at = f" ({frame / check.fps:.2f} s)" if check.fps else ""
    parts = []
    if corrupt:
        parts.append(_frames(len(corrupt), "decodes with errors", "decode with errors"))
    if lost.size:
        parts.append(_frames(lost.size, "does not decode", "do not decode"))
    if not parts:
        parts.append(f"the decoder refuses {len(refused)} packets")
    check.problems.append(f"damaged from frame {frame}{at}: {', '.join(parts)}; "
                          f"{frames} of {packets.count} frames decode")


def _frames(n: int, one: str, many: str) -> str:
    return f"1 frame {one}" if n == 1 else f"{n} frames {many}"


def _first(current: int | None, candidate: int) -> int:
    return candidate if current is None else min(current, candidate)
