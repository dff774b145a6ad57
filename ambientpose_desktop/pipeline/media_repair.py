"""Repaired copies of videos (PyAV): a new MP4 beside the old one, never in its place.

Three mechanics, one per kind of trouble:

- ``remux``: the packets are good but the container is not (a file cut short, whose index
  announces frames it lacks; streams joined end to end, whose clock starts over): every
  packet is copied as it is into a proper MP4 with a fresh index; timestamps that go back
  are shifted to go on from where they were. No decoding: as fast as the disk.
- ``reencode_short_gop``: a long-GOP source (a keyframe every 250 frames) seeks slowly; the
  copy has a keyframe at least every ``SHORT_GOP`` frames (and every second), libx264 at a
  visually lossless quality, and the source's own timestamps, so variable frame rate survives
  (a raw stream without timestamps gets them from its frame rate).
- ``salvage``: a damaged middle. A first pass decodes every packet, one at a time and on one
  thread (frame threads report an error packets later, on the wrong frame): a packet the
  decoder refuses, every packet decoded after it until the next keyframe (they refer to the
  broken one) and the packet stored just before it are lost; then the other packets are
  copied as they are, so each frame kept decodes to exactly the pixels it had.

Frame numbers are the source's frames in presentation order, from 0, as in a task's results.
Damage that leaves a packet's bitstream valid (bytes changed inside slice data that still
parse) is invisible to the decoder, so no decoder-based tool can report it; such a frame is
kept unless it is stored next to a refused one.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from fractions import Fraction
from pathlib import Path

from ambientpose_desktop.core.atomic import atomic_write_text
from ambientpose_desktop.core.errors import AmbientPoseError, InputError, OutputError

MODES = ("remux", "reencode", "salvage")  # and "auto": what the integrity check calls for
SHORT_GOP = 30
CRF = 18  # x264's "visually lossless" point
PRESET = "veryfast"
OUTPUT_SUFFIXES = (".mp4", ".m4v", ".mov")
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


@dataclass
class RepairResult:
    """What a repair did; ``to_json`` is the sidecar and ``--json`` output."""

    mode: str
    source: str
    output: str
    source_frames: int  # frames the source holds or its header claims
    frames_written: int
    lost: list[tuple[int, int]] = field(default_factory=list)  # inclusive frame ranges
    keyframe_interval: int = 0  # longest run from one keyframe to the next in the copy
    notes: list[str] = field(default_factory=list)

    @property
    def lost_frames(self) -> int:
        return sum(b - a + 1 for a, b in self.lost)

    def lost_text(self) -> str:
        """``"frames 56-58, 120"`` or ``"none"``."""
        if not self.lost:
            return "none"
        parts = [f"{a}" if a == b else f"{a}-{b}" for a, b in self.lost]
        return f"frame{'s' if self.lost_frames > 1 else ''} {', '.join(parts)}"

    def summary(self) -> str:
        """One line for people."""
        return (f"{self.mode}: {self.frames_written} of {self.source_frames} frames written "
                f"to {self.output}; lost: {self.lost_text()}")

    def to_dict(self) -> dict:
        data = asdict(self)
        data["lost"] = [list(r) for r in self.lost]
        data["lost_frames"] = self.lost_frames
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict) -> RepairResult:
        """Read back ``to_dict``'s output (what `ambientpose repair --json` prints)."""
        known = {f.name for f in fields(cls)}
        found = {k: v for k, v in data.items() if k in known}
        found["lost"] = [tuple(r) for r in found.get("lost", [])]
        return cls(**found)


def partial_path(output: Path) -> Path:
    """Where the copy is written until it is complete (then renamed to ``output``)."""
    return output.with_name(f".{output.name}.part.mp4")


def sidecar_path(output: Path) -> Path:
    """Where the repair's findings go beside the copy: ``OUT.mp4.repair.json``."""
    return output.with_name(output.name + ".repair.json")


def check_paths(source: Path, output: Path, overwrite: bool = False) -> None:
    """Refuse writing over the input (always) or over an existing file (unless asked)."""
    if not source.is_file():
        raise InputError(f"{source} does not exist or is not a file")
    if output.suffix.lower() not in OUTPUT_SUFFIXES:
        raise InputError(f"{output.name}: the repaired copy is an MP4; name it *.mp4")
    if output.resolve() == source.resolve():
        raise InputError(f"{output} is the input itself: a repair never overwrites its input")
    for path in (output, sidecar_path(output)):
        if path.exists() and not overwrite:
            raise OutputError(f"{path} already exists (use --overwrite to replace it)")


# -- the three mechanics ------------------------------------------------------------------

def remux(source: Path, output: Path, progress: Progress | None = None,
          should_stop: Stop | None = None) -> RepairResult:
    """Copy every packet into a fresh MP4 (no decoding); timestamps made monotonic. The
    cut-off last packet of a truncated file is left out, and frames its header announces but
    the file lacks are named lost."""
    with _opened(source) as inp, _Output(output) as out:
        video = inp.streams.video[0]
        claimed = _claimed_frames(video)
        ticker = _Ticker(progress, "remuxing", claimed, should_stop)
        try:
            seen, written, notes = _copy(inp, out, None, ticker)
        except _NoTimestamps:
            raise InputError(f"{source.name}: its frames have no timestamps, so a copy of its "
                             "packets cannot put them in order: use --mode reencode") from None
        if not written:
            raise InputError(f"{source.name} cannot be repaired: its video has no packets")
        out.keep()
    return _result("remux", source, output, seen, written, claimed, notes)


def reencode_short_gop(source: Path, output: Path, progress: Progress | None = None,
                       should_stop: Stop | None = None, crf: int = CRF) -> RepairResult:
    """A copy that seeks fast: a keyframe at least every ``SHORT_GOP`` frames, timestamps kept.

    Decodes with threads; a damaged source fails with a message pointing at ``salvage``."""
    return _transcode(source, output, "reencode", progress, should_stop, crf)


def salvage(source: Path, output: Path, progress: Progress | None = None,
            should_stop: Stop | None = None, short_gop: bool = False,
            crf: int = CRF) -> RepairResult:
    """Keep every frame that decodes cleanly and name the lost ones.

    The good packets are copied as they are (a first pass decodes them all to find the bad
    ones), so every frame kept decodes to exactly the pixels it had; with ``short_gop`` the
    good frames are re-encoded instead, for a damaged source that also seeks slowly."""
    if short_gop:
        return _transcode(source, output, "salvage", progress, should_stop, crf)
    with _opened(source) as inp:
        video = inp.streams.video[0]
        claimed = _claimed_frames(video)
        packets, good = _decode_pass(inp, video, _Ticker(progress, "decoding", claimed,
                                                         should_stop))
    try:
        with _opened(source) as inp, _Output(output) as out:
            _, written, notes = _copy(inp, out, good, _Ticker(
                progress, "copying good frames", len(packets), should_stop))
            if written:
                out.keep()
    except _NoTimestamps:  # a raw stream: decoding gives the order, and timestamps are made
        return _transcode(source, output, "salvage", progress, should_stop, crf)
    return _result("salvage", source, output, packets, written, claimed, notes)


@dataclass(frozen=True)
class Plan:
    """The repair the integrity check's findings call for; ``mode`` None: nothing to do."""

    mode: str | None
    reason: str
    short_gop: bool = False


def plan_repair(check) -> Plan:
    """Choose from a ``core.media_check.MediaCheck``: damage → salvage (re-encoded when the GOP
    is long too), a long GOP → reencode, another container problem → remux; ``InputError``
    for what no repair can rebuild (no index, nothing decodes)."""
    from ambientpose_desktop.core.media_check import LONG_GOP_FRAMES

    if check.index_missing or check.unreadable:
        raise InputError(f"cannot be repaired: {check.message}")
    long_gop = (check.keyframe_interval or 0) > LONG_GOP_FRAMES
    if check.damaged_from_frame is not None:
        return Plan("salvage", check.message, short_gop=long_gop)
    if not check.ok:
        return Plan("remux", check.message)
    if long_gop:
        return Plan("reencode", f"long GOP: up to {check.keyframe_interval} frames between "
                                "keyframes")
    return Plan(None, f"nothing to repair: {check.message}")


def repair(source: Path, output: Path, mode: str = "auto", progress: Progress | None = None,
           should_stop: Stop | None = None, overwrite: bool = False) -> RepairResult:
    """Check the paths, run ``mode`` (``auto``: the integrity check's choice) and write the
    sidecar beside the copy. When ``auto`` finds nothing to repair, nothing is written and
    the result's ``output`` is empty."""
    source, output = Path(source), Path(output)
    check_paths(source, output, overwrite)
    if mode not in ("auto", *MODES):
        raise InputError(f"unknown repair mode {mode!r} (auto or one of {', '.join(MODES)})")
    plan = Plan(mode, f"{mode} asked for")
    if mode == "auto":
        plan = _checked_plan(source, progress, should_stop)
        if plan.mode is None:
            return RepairResult(mode="none", source=str(source), output="", source_frames=0,
                                frames_written=0, notes=[plan.reason])
    if plan.mode == "remux":
        result = remux(source, output, progress, should_stop)
    elif plan.mode == "reencode":
        result = reencode_short_gop(source, output, progress, should_stop)
    else:
        result = salvage(source, output, progress, should_stop, short_gop=plan.short_gop)
    if mode == "auto":
        result.notes.insert(0, f"chosen by the integrity check: {plan.reason}")
    atomic_write_text(sidecar_path(output), result.to_json() + "\n")
    return result


def _checked_plan(source: Path, progress: Progress | None, should_stop: Stop | None) -> Plan:
    from ambientpose_desktop.pipeline.media_check import CheckStopped, check_media

    def checking(fraction: float) -> None:
        if progress is not None:
            progress("checking", round(fraction * 100), 100)

    try:
        check = check_media(source, progress=checking, stop=should_stop)
    except CheckStopped:
        raise RepairCanceled("repair canceled") from None
    try:
        return plan_repair(check)
    except InputError as exc:
        raise InputError(f"{source.name} {exc}") from None


# -- decoding, copying and encoding -------------------------------------------------------

def _decode_pass(inp, video, ticker: _Ticker) -> tuple[list[int], set[int]]:
    """Decode every video packet, one at a time: the pts of all packets, and of the frames
    that decoded cleanly (``_Taint`` says which did not)."""
    import av

    decoder = video.codec_context
    taint = _Taint()
    clock = _Timestamps()  # as ``_copy`` will fix them, so that the two passes agree
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


def _copy(inp, out: _Output, keep: set[int] | None,
          ticker: _Ticker) -> tuple[list[int], list[int], list[str]]:
    """Copy the video packets (those whose fixed pts is in ``keep``, or all) and the audio;
    returns the pts of the video packets read and of those written, and notes. A packet the
    demuxer marks corrupt (cut off at the end of a truncated file, or across a break in a
    transport stream) is never copied: nothing checks its data."""
    video = inp.streams.video[0]
    streams = {video.index: out.container.add_stream_from_template(video)}
    notes = _add_audio(inp, out, streams)
    clock = _Timestamps()
    seen: list[int] = []
    written: list[int] = []
    dropped = 0
    for packet in inp.demux(*(inp.streams[i] for i in streams)):
        if packet.size == 0:
            continue  # the flush packets
        is_video = packet.stream.index == video.index
        if not clock.fix(packet):
            if is_video:
                raise _NoTimestamps
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


class _NoTimestamps(Exception):
    """A video packet has no timestamp at all (a raw stream): only decoding can order it."""


def _transcode(source: Path, output: Path, mode: str, progress: Progress | None,
               should_stop: Stop | None, crf: int) -> RepairResult:
    import av

    tolerant = mode == "salvage"
    with _opened(source) as inp, _Output(output) as out:
        video = inp.streams.video[0]
        if not tolerant:
            video.thread_type = "AUTO"
        claimed = _claimed_frames(video)
        encoder = _ShortGopEncoder(out.container, video, crf)
        streams = {video.index: encoder.stream}
        notes = _add_audio(inp, out, streams)
        ticker = _Ticker(progress, "re-encoding", claimed, should_stop)
        clock = _Timestamps()
        taint = _Taint()
        packets: list[int] = []  # every video packet's pts: the source's frames
        decoder = video.codec_context
        seen = 0
        for packet in inp.demux(*(inp.streams[i] for i in streams)):
            if packet.stream.index != video.index:
                if packet.size and not packet.is_corrupt and clock.fix(packet):
                    packet.stream = streams[packet.stream.index]
                    out.container.mux(packet)
                continue
            if packet.size == 0:
                continue
            if clock.fix(packet):
                packets.append(packet.pts)
            seen += 1
            ticker.tick(seen)
            taint.see(packet)
            try:
                frames = decoder.decode(packet)
            except av.error.FFmpegError as exc:
                if not tolerant:
                    raise InputError(
                        f"{source.name} is damaged near {_seconds(packet):.2f} s "
                        f"({exc.strerror or exc}): use --mode salvage to keep the frames "
                        "that decode") from None
                taint.broken(packet)
                continue
            taint.decoded(packet)
            for frame in frames:
                encoder.add(frame, taint)
        with contextlib.suppress(av.error.FFmpegError):
            for frame in decoder.decode(None):
                encoder.add(frame, taint)
        encoder.finish(taint)
        ticker.tick(seen, last=True)
        if clock.fixed:
            notes.append(f"{clock.fixed} packet timestamps were out of order and were fixed")
        if encoder.made_up:
            notes.append(f"{len(encoder.made_up)} frames had no timestamp: given one from "
                         "the frame rate")
        if encoder.written:
            out.keep()
    return _result(mode, source, output, packets + encoder.made_up, encoder.written,
                   max(claimed, seen), notes)


def _result(mode: str, source: Path, output: Path, packets: list[int], written: list[int],
            claimed: int, notes: list[str]) -> RepairResult:
    """Number the source's frames (its packets' pts in order, then those its header claims
    but the file lacks) and name the ones not written."""
    order = sorted(set(packets))
    number = {p: i for i, p in enumerate(order)}
    kept = {number[p] for p in written if p in number}
    if not kept:
        output.unlink(missing_ok=True)
        raise InputError(f"{source.name} cannot be repaired: no frame of it decodes")
    lost = [i for i in range(len(order)) if i not in kept]
    lost += range(len(order), claimed)
    return _finish(mode, source, output, max(claimed, len(order)), len(kept), _ranges(lost),
                   notes)


class _Taint:
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


class _ShortGopEncoder:
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

    def add(self, frame, taint: _Taint) -> None:
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

    def _write(self, frame, taint: _Taint) -> None:
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

    def finish(self, taint: _Taint) -> None:
        while self._held:
            self._write(heapq.heappop(self._held)[2], taint)
        for packet in self.stream.encode(None):
            self._container.mux(packet)


# -- plumbing -----------------------------------------------------------------------------

@contextlib.contextmanager
def _opened(source: Path) -> Iterator:
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


class _Output:
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

    def __enter__(self) -> _Output:
        return self

    def __exit__(self, kind, exc, tb) -> None:
        try:
            self.container.close()
        finally:
            if self._kept and kind is None:
                self.tmp.replace(self.path)
            else:
                self.tmp.unlink(missing_ok=True)


def _add_audio(inp, out: _Output, streams: dict) -> list[str]:
    notes = []
    for audio in inp.streams.audio:
        name = audio.codec_context.name
        if name in _MP4_AUDIO:
            streams[audio.index] = out.container.add_stream_from_template(audio)
        else:
            notes.append(f"audio stream {audio.index} ({name}) left out: MP4 cannot carry it")
    return notes


class _Timestamps:
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


class _Ticker:
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


def _claimed_frames(video) -> int:
    if video.frames:
        return int(video.frames)
    if video.duration and video.time_base and video.average_rate:
        return round(float(video.duration * video.time_base * video.average_rate))
    return 0


def _seconds(packet) -> float:
    at = packet.pts if packet.pts is not None else packet.dts
    return float(at * packet.time_base) if at is not None and packet.time_base else 0.0


def _ranges(numbers: list[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for n in sorted(numbers):
        if ranges and n == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], n)
        else:
            ranges.append((n, n))
    return ranges


def _finish(mode: str, source: Path, output: Path, source_frames: int, written: int,
            lost: list[tuple[int, int]], notes: list[str]) -> RepairResult:
    import av

    from ambientpose_desktop.pipeline.frame_index import build_index

    with av.open(str(output)) as copy:
        interval = build_index(copy, copy.streams.video[0]).longest_gop
    return RepairResult(mode=mode, source=str(source), output=str(output),
                        source_frames=source_frames, frames_written=written, lost=lost,
                        keyframe_interval=interval, notes=notes)
