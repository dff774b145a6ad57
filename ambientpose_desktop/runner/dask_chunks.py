"""A long video on a Dask cluster: split into chunks of frames, one Dask task each, joined.

The task stays one row in the database with one progress bar. ``plan_for`` decides whether
and where a video is split (``AppSettings.chunk_frames``; the container's frame count, or
``max_frames``; the last chunk runs to the end of the stream, so a count that is off loses no
frame). Each chunk runs ``detect … --start-frame A --stop-frame B`` into ``chunks/<n>/``;
once every chunk has succeeded the executor submits the join (``detect … --join-chunks N``),
which writes the task folder as a single run would (``pipeline.chunk_join``).

``ChunkEvents`` turns the chunks' events into one run's for the lifecycle and the task's
``events.jsonl`` (which the API's stream follows): one ``started`` for the whole video,
``progress`` summed over the chunks (a chunk run again after its worker was lost counts
from 0 again: nothing is counted twice), their logs and failures naming the chunk. The join's
own events (its log lines, ``finished`` or ``failed``) follow as they come.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from loguru import logger

from ambientpose_desktop.core.chunks import (
    JOIN_FLAG,
    START_FLAG,
    STOP_FLAG,
    ChunkRange,
    plan_chunks,
)
from ambientpose_desktop.core.events import Failed, Finished, Log, Progress, Started, parse_event
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.runner.command import detect_arguments
from ambientpose_desktop.store.models import Task

PROGRESS_S = 0.2  # summed progress events at most this often


def plan_for(task: Task, chunk_frames: int) -> tuple[list[ChunkRange], int] | None:
    """The chunks of ``task``'s video and its frames (as the container counts them), or
    ``None`` when it runs whole (splitting is off, it is an image folder, not longer than a
    chunk, or this computer cannot open it: the worker then says why)."""
    source = Path(task.input_path)
    if chunk_frames <= 0 or source.is_dir():
        return None
    from ambientpose_desktop.pipeline.video import VideoSource

    try:
        video = VideoSource(source)
    except Exception as exc:  # InputError, or a file the cluster alone sees
        logger.debug("not splitting {}: {}", source, exc)
        return None
    try:
        count = video.info.frame_count
    finally:
        video.close()
    limit = task.task_params.max_frames
    frames = min(count, limit) if limit else count
    if frames <= chunk_frames:
        return None
    return plan_chunks(frames, chunk_frames, to_the_end=not limit), frames


def chunk_arguments(task: Task, output: Path, chunk: ChunkRange) -> list[str]:
    """``detect`` arguments of one chunk: the task's, into the chunk's folder, its range."""
    folder = TaskFolder(output).chunk(chunk.index).path
    args = detect_arguments(task.id, task.input_path, folder, task.task_params)
    args += [START_FLAG, str(chunk.start)]
    return args + ([STOP_FLAG, str(chunk.stop)] if chunk.stop is not None else [])


def join_arguments(task: Task, output: Path, chunks: int) -> list[str]:
    """``detect`` arguments of the join of ``chunks`` chunk folders into the task folder."""
    return detect_arguments(task.id, task.input_path, output, task.task_params) + [
        JOIN_FLAG, str(chunks)]


@dataclass
class _Chunk:
    range: ChunkRange
    frames: int = 0
    buffer: str = ""


@dataclass
class ChunkEvents:
    """The chunks' output → lines of one run's events (also appended to ``events.jsonl``)."""

    task_id: str
    plan: list[ChunkRange]
    total: int
    log_path: Path
    started: bool = False
    _chunks: dict[int, _Chunk] = field(default_factory=dict)
    _last_progress: float = 0.0
    _fps: float = 0.0
    _since: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self._chunks = {c.index: _Chunk(c) for c in self.plan}

    @property
    def frames(self) -> int:
        return sum(c.frames for c in self._chunks.values())

    def restart(self, index: int) -> None:
        """A new attempt of chunk ``index``: its frames so far are gone."""
        chunk = self._chunks[index]
        chunk.frames, chunk.buffer = 0, ""

    def feed(self, index: int, text: str) -> str:
        """Output of chunk ``index`` → the text to hand the lifecycle."""
        chunk = self._chunks[index]
        chunk.buffer += text
        *lines, chunk.buffer = chunk.buffer.split("\n")
        out = [line for raw in lines if (line := self._translate(chunk, raw))]
        return "".join(line + "\n" for line in out)

    def note(self, level: str, message: str) -> str:
        """A line of the executor's own in the run's log."""
        return self._write(Log(level=level, message=message).to_json())

    def _translate(self, chunk: _Chunk, line: str) -> str:
        event = parse_event(line) if line.strip() else None
        name = chunk.range.describe()
        if isinstance(event, Started):
            if self.started:
                return ""
            self.started = True
            return self._write(Started(task=self.task_id, total_frames=self.total,
                                       fps=event.fps, backend=event.backend,
                                       device=event.device).to_json())
        if isinstance(event, Progress | Finished):
            chunk.frames = event.frame if isinstance(event, Progress) else event.frames
            if isinstance(event, Progress):
                self._fps = event.fps
            now = time.monotonic()
            if isinstance(event, Progress) and now - self._last_progress < PROGRESS_S:
                return ""
            self._last_progress = now
            done = self.frames
            rate = done / max(now - self._since, 1e-9)
            eta = (self.total - done) / rate if rate and self.total > done else None
            return self._write(Progress(frame=done, total_frames=max(self.total, done),
                                        fps=round(rate, 2),
                                        eta_s=None if eta is None else round(eta, 1)).to_json())
        if isinstance(event, Log):
            return self._write(Log(level=event.level,
                                   message=f"{name}: {event.message}").to_json())
        if isinstance(event, Failed):
            return self._write(Failed(error=f"{name}: {event.error}").to_json())
        return ""  # canceled: the exit code says it

    def _write(self, line: str) -> str:
        try:
            with open(self.log_path, "a", encoding="utf-8") as log:
                log.write(line + "\n")
        except OSError as exc:  # the log is for the stream; the run goes on without it
            logger.warning("cannot append to {}: {}", self.log_path, exc)
        return line
