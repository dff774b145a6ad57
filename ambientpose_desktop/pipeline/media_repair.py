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
import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ambientpose_desktop.core.atomic import atomic_write_text
from ambientpose_desktop.core.errors import InputError, OutputError
from ambientpose_desktop.pipeline.repair_streams import (
    CRF,
    SHORT_GOP,
    DamageTracker,
    MonotonicClock,
    NoTimestamps,
    Progress,
    RepairCanceled,
    RepairOutput,
    ShortGopEncoder,
    Stop,
    Ticker,
    add_audio,
    claimed_frames,
    copy_packets,
    find_clean_frames,
    opened_video,
    partial_path,
)

__all__ = ["CRF", "MODES", "SHORT_GOP", "Plan", "RepairCanceled", "RepairResult", "check_paths",
           "partial_path", "plan_repair", "reencode_short_gop", "remux", "repair", "salvage",
           "sidecar_path"]

MODES = ("remux", "reencode", "salvage")  # and "auto": what the integrity check calls for
OUTPUT_SUFFIXES = (".mp4", ".m4v", ".mov")


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


def sidecar_path(output: Path) -> Path:
    """Where the repair's findings go beside the copy: ``OUT.mp4.repair.json``."""
    return output.with_name(output.name + ".repair.json")


def check_paths(source: Path, output: Path, overwrite: bool = False) -> None:
    """Refuse writing over the input (always) or over an existing file (unless asked)."""
    if not source.is_file():
        raise InputError(f"{source} does not exist or is not a file")
    if output.suffix.lower() not in OUTPUT_SUFFIXES:
        raise InputError(f"{output.name}: the repaired copy is an MP4; name it *.mp4")
    if output.resolve() == source.resolve() or output.exists() and os.path.samefile(output,
                                                                                     source):
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
    with opened_video(source) as inp, RepairOutput(output) as out:
        video = inp.streams.video[0]
        claimed = claimed_frames(video)
        ticker = Ticker(progress, "remuxing", claimed, should_stop)
        try:
            seen, written, notes = copy_packets(inp, out, None, ticker)
        except NoTimestamps:
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
    with opened_video(source) as inp:
        video = inp.streams.video[0]
        claimed = claimed_frames(video)
        packets, good = find_clean_frames(inp, video, Ticker(progress, "decoding", claimed,
                                                         should_stop))
    try:
        with opened_video(source) as inp, RepairOutput(output) as out:
            _, written, notes = copy_packets(inp, out, good, Ticker(
                progress, "copying good frames", len(packets), should_stop))
            if written:
                out.keep()
    except NoTimestamps:  # a raw stream: decoding gives the order, and timestamps are made
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

def _transcode(source: Path, output: Path, mode: str, progress: Progress | None,
               should_stop: Stop | None, crf: int) -> RepairResult:
    import av

    tolerant = mode == "salvage"
    with opened_video(source) as inp, RepairOutput(output) as out:
        video = inp.streams.video[0]
        if not tolerant:
            video.thread_type = "AUTO"
        claimed = claimed_frames(video)
        encoder = ShortGopEncoder(out.container, video, crf)
        streams = {video.index: encoder.stream}
        notes = add_audio(inp, out, streams)
        ticker = Ticker(progress, "re-encoding", claimed, should_stop)
        clock = MonotonicClock()
        taint = DamageTracker()
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
