"""Which file the viewer reads a task's frames from: the video, or its fast-seeking copy.

A video with a keyframe only every few hundred frames is slow to seek in; the viewer offers
to re-encode it with a short GOP (``runner.repairs.make_seekable_copy``) into the task
folder. The copy stands in for the video only while it has the same number of frames, so
frame ``i`` of the copy is frame ``i`` of the results; the video itself is never touched.
"""

from __future__ import annotations

from pathlib import Path

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.pipeline.frame_reader import FrameReader


def open_matching_copy(folder: Path, frames: int) -> FrameReader | None:
    """A reader of the task's seekable copy if it is there, opens, and has ``frames``
    frames; else None."""
    files = TaskFolder(folder)
    if not files.seekable_copy.is_file():
        return None
    try:
        copy = FrameReader(files.seekable_copy, index_file=files.seekable_index)
    except InputError:
        return None
    if len(copy) != frames:
        copy.close()
        return None
    return copy


def open_frames(video: Path, folder: Path | None) -> FrameReader:
    """The reader the viewer shows ``video`` with: its matching seekable copy in the task
    ``folder`` when there is one, else the video itself (with the worker's frame index)."""
    files = TaskFolder(folder) if folder else None
    reader = FrameReader(video, index_file=files.frame_index if files else None)
    copy = open_matching_copy(files.path, len(reader)) if files else None
    if copy is None:
        return reader
    reader.close()
    return copy
