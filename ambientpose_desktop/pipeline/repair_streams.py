"""The stream-level parts of a repair (``media_repair.py`` composes them): the copy written
under a temporary name, packets copied with monotonic timestamps, the decoding pass that finds
the lost frames, the short-GOP encoder, and progress with cancel."""

from __future__ import annotations

import contextlib
import heapq
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

from ambientpose_desktop.core.errors import AmbientPoseError, InputError, OutputError

# 15, not 30: the worst exact seek decodes half as many frames (1080p p95 405 -> 173 ms on a
# generated GOP-250 video, 125 -> 79 ms on the shared 1080p clip) for 4-9 % more bytes.
SHORT_GOP = 15
CRF = 18  # x264's "visually lossless" point
PRESET = "veryfast"
# Decoded frames can leave the decoder out of order after damage; this many are held back
# and written in timestamp order.
_REORDER = 16
# Audio that MP4 carries; anything else is left out of the copy (and the result says so).
_MP4_AUDIO = frozenset({"aac", "mp3", "ac3", "eac3", "alac", "opus", "flac"})

# (what is being done, done, in all): frames for the repair itself
Progress = Callable[[str, int, int], None]
Stop = Callable[[], bool]


class RepairCanceled(AmbientPoseError):
    """``should_stop()`` turned true: nothing was written."""


def partial_path(output: Path) -> Path:
    """Where the copy is written until it is complete (then renamed to ``output``)."""
    return output.with_name(f".{output.name}.part.mp4")


def find_clean_frames(inp, video, ticker: Ticker) -> tuple[list[int], set[int]]:
    """Decode every video packet, one at a time: the pts of all packets, and of the frames
    that decoded cleanly (``DamageTracker`` says which did not)."""
    import av

    decoder = video.codec_context
    taint = DamageTracker()
    clock = MonotonicClock()  # as ``copy_packets`` will fix them, so that the two passes agree
    packets: list[int] = []
    decoded: set[int] = set()
    for packet in inp.demux(video):
        if packet.size == 0:
            continue
        if clock.fix(packet):
            packets.append(packet.pts)
        ticker.tick(len(packets))
        taint.see(packet)
        try:
            frames = decoder.decode(packet)
        except av.error.FFmpegError:
            taint.broken(packet)
            continue
        taint.decoded(packet)
        decoded.update(f.pts for f in frames if not taint.frame_is_bad(f))
    with contextlib.suppress(av.error.FFmpegError):
        decoded.update(f.pts for f in decoder.decode(None) if not taint.frame_is_bad(f))
    ticker.tick(len(packets), last=True)
    return packets, decoded - taint.bad


def copy_packets(inp, out: RepairOutput, keep: set[int] | None,
          ticker: Ticker) -> tuple[list[int], list[int], list[str]]:
    """Copy the video packets (those whose fixed pts is in ``keep``, or all) and the audio;
    returns the pts of the video packets read and of those written, and notes. A packet the
    demuxer marks corrupt (cut off at the end of a truncated file, or across a break in a
    transport stream) is never copied: nothing checks its data."""
    video = inp.streams.video[0]
    streams = {video.index: out.container.add_stream_from_template(video)}
    notes = add_audio(inp, out, streams)
    clock = MonotonicClock()
    seen: list[int] = []
    written: list[int] = []
    dropped = 0
    for packet in inp.demux(*(inp.streams[i] for i in streams)):
        if packet.size == 0:
            continue  # the flush packets
        is_video = packet.stream.index == video.index
        if not clock.fix(packet):
            if is_video:
                raise NoTimestamps
            dropped += 1
            continue
        if is_video:
            seen.append(packet.pts)
            ticker.tick(len(seen))
            if packet.is_corrupt or keep is not None and packet.pts not in keep:
                continue
            written.append(packet.pts)
        elif packet.is_corrupt:
            continue
        packet.stream = streams[packet.stream.index]
        out.container.mux(packet)
    ticker.tick(len(seen), last=True)
    if clock.fixed:
        notes.append(f"{clock.fixed} packet timestamps were out of order and were fixed")
    if dropped:
        notes.append(f"{dropped} audio packets without a timestamp were left out")
    return seen, written, notes


class NoTimestamps(Exception):
    """A video packet has no timestamp at all (a raw stream): only decoding can order it."""


class DamageTracker:
    """Which frames are lost around a packet the decoder refuses.

    - From the refused packet, in decoding order, to the next keyframe: those frames refer to
      the broken one. The leading frames of that keyframe (shown before it, decoded after it)
      still refer to the broken GOP.
    - The packet stored just before a refused one, when the two touch in the file: damage
      comes in runs of bytes, and a run that starts inside a packet's data can leave it
      decodable but wrong (seen with bytes overwritten in an MP4's media data).
    """

    def __init__(self) -> None:
        self.bad: set[int] = set()  # pts of lost frames
        self._broken = False
        self._leading_before: int | None = None  # pts below which leading frames are lost
        self._previous: tuple[int | None, int] | None = None  # (pts, end in the file)

    def see(self, packet) -> None:
        pts = packet.pts
        if packet.is_keyframe:
            self._leading_before = pts if self._broken else None
            self._broken = False
        elif self._leading_before is not None and pts is not None and pts < self._leading_before:
            self.bad.add(pts)
        if self._broken and pts is not None:
            self.bad.add(pts)

    def decoded(self, packet) -> None:
        pos = packet.pos if packet.pos is not None and packet.pos >= 0 else None
        self._previous = None if pos is None else (packet.pts, pos + packet.size)

    def broken(self, packet) -> None:
        if (self._previous is not None and not self._broken and self._previous[0] is not None
                and self._previous[1] == packet.pos):
            self.bad.add(self._previous[0])
        self._previous = None
        self._broken = True
        if packet.pts is not None:
            self.bad.add(packet.pts)

    def frame_is_bad(self, frame) -> bool:
        if frame.is_corrupt:
            self._broken = True
            self.bad.add(frame.pts)
        return frame.pts is None or frame.pts in self.bad


class ShortGopEncoder:
    """libx264 with a short GOP, fed frames in timestamp order, on the source's time base."""

    def __init__(self, container, video, crf: int) -> None:
        # The bitstream's own rate first: a raw stream's demuxer reports a default 25 fps.
        rate = (video.codec_context.framerate or video.average_rate or video.guessed_rate
                or Fraction(30))
        self.stream = container.add_stream("libx264", rate=rate)
        ctx = video.codec_context
        self.stream.width, self.stream.height = ctx.width, ctx.height
        self.stream.pix_fmt = "yuv420p"
        self.stream.codec_context.time_base = video.time_base  # the source's timestamps
        gop = max(1, min(SHORT_GOP, round(float(rate))))
        self.stream.options = {"g": str(gop), "crf": str(crf), "preset": PRESET}
        self._container = container
        self._held: list[tuple[int, int, object]] = []  # heap of (pts, order, frame)
        self._order = 0
        self._last = None
        self._latest = None  # the latest pts decoded
        self._step = max(1, round(1 / (float(rate) * float(video.time_base or 1 / rate))))
        self.written: list[int] = []
        self.made_up: list[int] = []  # pts given to frames that came without one

    def add(self, frame, taint: DamageTracker) -> None:
        if frame.pts is None:  # a raw stream: frames leave the decoder in display order
            frame.pts = 0 if self._latest is None else self._latest + self._step
            frame.time_base = self.stream.codec_context.time_base
            self.made_up.append(frame.pts)
        self._latest = frame.pts if self._latest is None else max(self._latest, frame.pts)
        if taint.frame_is_bad(frame):
            return
        heapq.heappush(self._held, (frame.pts, self._order, frame))
        self._order += 1
        while len(self._held) > _REORDER:
            self._write(heapq.heappop(self._held)[2], taint)

    def _write(self, frame, taint: DamageTracker) -> None:
        if frame.pts in taint.bad:
            return  # found bad after it was decoded (the packet before a refused one)
        if self._last is not None and frame.pts <= self._last:
            return  # a duplicate, or later than the reorder window allows
        self._last = frame.pts
        self.written.append(frame.pts)
        if frame.format.name != "yuv420p":
            frame = frame.reformat(format="yuv420p")
        frame.pict_type = 0  # NONE: the short GOP decides the keyframes, not the source
        for packet in self.stream.encode(frame):
            self._container.mux(packet)

    def finish(self, taint: DamageTracker) -> None:
        while self._held:
            self._write(heapq.heappop(self._held)[2], taint)
        for packet in self.stream.encode(None):
            self._container.mux(packet)


# -- plumbing -----------------------------------------------------------------------------

@contextlib.contextmanager
def opened_video(source: Path) -> Iterator:
    import av

    try:
        container = av.open(str(source))
    except (av.error.FFmpegError, OSError) as exc:
        raise InputError(f"{source.name} cannot be repaired: it does not open as a video "
                         f"({getattr(exc, 'strerror', None) or exc})") from None
    try:
        if not container.streams.video:
            raise InputError(f"{source.name} cannot be repaired: it has no video stream")
        yield container
    finally:
        container.close()


class RepairOutput:
    """The copy is written under a temporary name and moved into place by ``keep``; on any
    error (or without ``keep``) nothing is left behind."""

    def __init__(self, output: Path) -> None:
        import av

        self.path = Path(output)
        self.tmp = partial_path(self.path)
        try:
            self.container = av.open(str(self.tmp), "w", format="mp4")
        except (av.error.FFmpegError, OSError) as exc:
            raise OutputError(f"{output} cannot be written: {exc}") from None
        self._kept = False

    def keep(self) -> None:
        self._kept = True

    def __enter__(self) -> RepairOutput:
        return self

    def __exit__(self, kind, exc, tb) -> None:
        try:
            self.container.close()
        finally:
            if self._kept and kind is None:
                self.tmp.replace(self.path)
            else:
                self.tmp.unlink(missing_ok=True)


def add_audio(inp, out: RepairOutput, streams: dict) -> list[str]:
    notes = []
    for audio in inp.streams.audio:
        name = audio.codec_context.name
        if name in _MP4_AUDIO:
            streams[audio.index] = out.container.add_stream_from_template(audio)
        else:
            notes.append(f"audio stream {audio.index} ({name}) left out: MP4 cannot carry it")
    return notes


class MonotonicClock:
    """Makes each stream's decoding timestamps strictly increasing (what MP4 requires), with
    presentation never before decoding. A jump back (files joined end to end, a camera's
    clock reset) shifts everything after it to go on from where it was, so the time between
    frames stays as it was. Counts the packets it had to change."""

    def __init__(self) -> None:
        self._last: dict[int, int] = {}
        self._offset: dict[int, int] = {}
        self.fixed = 0

    def fix(self, packet) -> bool:
        """Fix ``packet`` in place; False (and untouched) when it has no timestamp at all."""
        if packet.dts is None and packet.pts is None:
            return False
        index = packet.stream.index
        offset = self._offset.get(index, 0)
        raw = packet.dts if packet.dts is not None else packet.pts
        dts = raw + offset
        last = self._last.get(index)
        changed = packet.dts is None or offset != 0
        if last is not None and dts <= last:
            step = packet.duration if packet.duration and packet.duration > 0 else 1
            offset = self._offset[index] = last + step - raw
            dts, changed = last + step, True
        pts = (packet.pts if packet.pts is not None else raw) + offset
        if pts < dts:
            pts, changed = dts, True
        packet.dts, packet.pts = dts, pts
        self._last[index] = dts
        self.fixed += changed
        return True


class Ticker:
    """Calls ``progress`` at most ten times a second, and ``should_stop`` as often."""

    def __init__(self, progress: Progress | None, what: str, total: int,
                 should_stop: Stop | None) -> None:
        self._progress, self._what, self._total = progress, what, total
        self._stop = should_stop
        self._next = 0.0

    def tick(self, done: int, last: bool = False) -> None:
        now = time.monotonic()
        if now < self._next and not last:
            return
        self._next = now + 0.1
        if self._stop is not None and self._stop():
            raise RepairCanceled("repair canceled")
        if self._progress is not None:
            self._progress(self._what, done, max(self._total, done))


def claimed_frames(video) -> int:
    if video.frames:
        return int(video.frames)
    if video.duration and video.time_base and video.average_rate:
        return round(float(video.duration * video.time_base * video.average_rate))
    return 0
