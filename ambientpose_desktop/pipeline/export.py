"""Export a finished task's results: pose JSON (AlphaPose, COCO), CSV, overlay video, JPEGs.

One function, ``export_task``, serves the Export dialog and ``ambientpose export``. Every
format is written under a temporary name and renamed into place, so a cancel or crash never
leaves a half file; ``progress(done, total)`` is called as work advances and setting
``cancel`` stops within one frame (or one chunk of rows) with ``ExportCanceled``.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ambientpose_desktop.core.atomic import atomic_path, atomic_write_text
from ambientpose_desktop.core.errors import AmbientPoseError, InputError, OutputError
from ambientpose_desktop.core.keypoints import get_format
from ambientpose_desktop.core.layers import Layer, load_layer
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.core.results import to_alphapose, to_coco_results, write_alphapose
from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.pipeline.export_formats import EXPORT_FORMATS

_CSV_CHUNK = 2000

Progress = Callable[[int, int], None]


class ExportCanceled(AmbientPoseError):
    """The export was canceled; nothing was left under the output name."""


def export_task(task_dir: Path, fmt: str, output: Path, *, overwrite: bool = False,
                progress: Progress | None = None, cancel: threading.Event | None = None,
                layer: str | Layer | None = None) -> Path:
    """Write the results of ``task_dir`` as ``fmt`` to ``output``; returns ``output``.
    ``layer`` is the layer of results to write (``core.layers``; default the most processed
    one, e.g. the edited results after proofreading)."""
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown export format {fmt!r}; choose from {', '.join(EXPORT_FORMATS)}")
    task_dir, output = Path(task_dir), Path(output)
    if not TaskFolder(task_dir).has_results():
        raise InputError(f"{task_dir} has no results (summary.json is missing)")
    if output.exists() and not overwrite:
        raise OutputError(f"{output} already exists (use --overwrite to replace it)")
    if not output.parent.is_dir():
        raise OutputError(f"folder {output.parent} does not exist")
    summary = Summary.read(TaskFolder(task_dir).summary)
    table = load_layer(task_dir, summary, layer)
    report = progress or (lambda done, total: None)
    stop = cancel or threading.Event()
    try:
        if fmt in ("alphapose", "coco"):
            _write_json(summary, table, fmt, output)
            report(1, 1)
        elif fmt == "csv":
            _write_csv(summary, table, output, report, stop)
        else:
            _write_rendered(summary, table, fmt, output, report, stop)
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None
    return output


def _write_json(summary: Summary, table: PoseTable, fmt: str, output: Path) -> None:
    names = summary.source.image_names
    if fmt == "alphapose":
        write_alphapose(output, table.frames(), names)
        return
    ids = {name: i for i, name in enumerate(names)} if names else None
    entries = to_coco_results(to_alphapose(table.frames(), names), ids)
    atomic_write_text(output, json.dumps(entries, separators=(",", ":")))


def csv_header(keypoint_names: tuple[str, ...]) -> list[str]:
    columns = ["frame", "time_s", "idx", "score"]
    for name in keypoint_names:
        columns += [f"{name}_x", f"{name}_y", f"{name}_score"]
    return columns


def _write_csv(summary: Summary, table: PoseTable, output: Path, report: Progress,
               stop: threading.Event) -> None:
    names = get_format(summary.keypoint_format).names[: table.num_keypoints]
    frame_of = table.frame_of_row()
    stamps = np.asarray(summary.source.timestamps, np.float64)
    if len(stamps) < table.num_frames:  # older summaries: spread by fps
        stamps = np.arange(table.num_frames) / (summary.source.fps or 1.0)
    rows = len(frame_of)
    with atomic_path(output) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(csv_header(names))
        for start in range(0, rows, _CSV_CHUNK):
            if stop.is_set():
                raise ExportCanceled("export canceled")
            end = min(start + _CSV_CHUNK, rows)
            frames = frame_of[start:end]
            for r, frame in zip(range(start, end), frames, strict=True):
                kp = np.round(table.keypoints[r].reshape(-1), 3).tolist()
                writer.writerow([int(frame), round(float(stamps[frame]), 6), int(table.idx[r]),
                                 round(float(table.scores[r]), 6), *kp])
            report(end, rows)
        if rows == 0:
            report(0, 0)


def _write_rendered(summary: Summary, table: PoseTable, fmt: str, output: Path,
                    report: Progress, stop: threading.Event) -> None:
    """Decode the source again and draw the poses, through the worker's own render path."""
    from ambientpose_desktop.pipeline.outputs import RenderedOutputs
    from ambientpose_desktop.pipeline.video import open_source

    source_path = Path(summary.source.path)
    if not source_path.exists():
        raise InputError(f"the source {source_path} is gone; the {fmt} export needs it")
    source = open_source(source_path)
    kf = get_format(summary.keypoint_format)
    stem = source_path.stem
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.", suffix=".part", dir=output.parent))
    total = source.info.frame_count
    frames = source.frames()
    try:
        rendered = RenderedOutputs(staging, stem, kf, source.info.fps,
                                   video=fmt == "overlay-video", jpeg=fmt == "frames-jpeg")
        try:
            for index, _, rgb in frames:
                if stop.is_set():
                    raise ExportCanceled("export canceled")
                people = table.persons(index) if index < table.num_frames else []
                rendered.add(rgb, people)
                report(index + 1, max(total, index + 1))
            names = rendered.finish(stop)
            if stop.is_set():
                raise ExportCanceled("export canceled")
        except BaseException:
            rendered.abort()
            raise
        _move_into_place(staging, names, output, fmt)
    finally:
        frames.close()  # end the decoding generator before its container (PyAV crashes else)
        source.close()
        shutil.rmtree(staging, ignore_errors=True)


def _move_into_place(staging: Path, names: list[str], output: Path, fmt: str) -> None:
    if fmt == "overlay-video":
        (staging / names[0]).replace(output)
        return
    if output.exists():  # overwrite was allowed: the old folder goes only now
        shutil.rmtree(output) if output.is_dir() else output.unlink()
    keep = staging / ".export"
    keep.mkdir()
    for name in names:
        (staging / name).replace(keep / name)
    keep.replace(output)
