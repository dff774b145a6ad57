"""Export a finished task's results: pose JSON (AlphaPose, COCO), CSV, the interchange formats
of SLEAP, NWB and DeepLabCut, overlay video, JPEGs.

One function, ``export_task``, serves the Export dialog, ``ambientpose export`` and the API.
It reads one layer of results (``core/layers.py``: raw, linked, edited or filtered; the most
processed by default) and hands it to the format's writer: each takes the ``PoseTable``, the
``Summary`` and an ``ExportRun`` (where to write, how to report, when to stop). Every format is
written under a temporary name and renamed into place, so a cancel or crash never leaves a
half file; ``progress(done, total)`` is called as work advances and setting ``cancel`` stops
within one frame (or one chunk of rows) with ``ExportCanceled``. The interchange writers live
in their own modules and are imported only when asked for (``export_formats.EXTRA_OF``).
"""

from __future__ import annotations

import csv
import importlib
import json
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ambientpose_desktop.core.atomic import atomic_path, atomic_write_text
from ambientpose_desktop.core.errors import AmbientPoseError, InputError, OutputError
from ambientpose_desktop.core.keypoints import get_format
from ambientpose_desktop.core.layers import Layer, load_layer
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.core.results import (
    KEYPOINT_DIGITS,
    SCORE_DIGITS,
    coco_image_ids,
    rounded,
    to_alphapose,
    to_coco_results,
    write_alphapose,
)
from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.pipeline.export_formats import EXPORT_FORMATS, EXTRA_OF

_CSV_CHUNK = 2000

Progress = Callable[[int, int], None]


class ExportCanceled(AmbientPoseError):
    """The export was canceled; nothing was left under the output name."""


class MissingExtra(InputError):
    """A writer or reader (an export, or opening SLEAP and DeepLabCut files) needs a library
    this install lacks; the message names the extra that brings it."""


@dataclass(frozen=True)
class ExportRun:
    """What every writer gets besides the poses: where to write, how to report, when to stop."""

    fmt: str
    output: Path
    progress: Progress
    cancel: threading.Event
    coco_gt: Path | None = None

    def check(self) -> None:
        if self.cancel.is_set():
            raise ExportCanceled("export canceled")


Writer = Callable[[PoseTable, Summary, ExportRun], None]


def export_task(task_dir: Path, fmt: str, output: Path, *, layer: str | Layer | None = None,
                overwrite: bool = False, progress: Progress | None = None,
                cancel: threading.Event | None = None, coco_gt: Path | None = None) -> Path:
    """Write the results of ``task_dir`` (in ``layer``, ``core.layers``; default the most
    processed, e.g. the edited results after proofreading) as ``fmt`` to ``output``; returns
    ``output``. ``coco_gt``: COCO annotations whose ``file_name``s give
    an image folder's ``image_id``s (``coco`` only)."""
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown export format {fmt!r}; choose from {', '.join(EXPORT_FORMATS)}")
    task_dir, output = Path(task_dir), Path(output)
    if not TaskFolder(task_dir).has_results():
        raise InputError(f"{task_dir} has no results (summary.json is missing)")
    if output.exists() and not overwrite:
        raise OutputError(f"{output} already exists (use --overwrite to replace it)")
    if not output.parent.is_dir():
        raise OutputError(f"folder {output.parent} does not exist")
    if coco_gt is not None and not Path(coco_gt).is_file():
        raise InputError(f"COCO annotations {coco_gt} not found")
    writer = _writer(fmt)
    summary = Summary.read(TaskFolder(task_dir).summary)
    table = load_layer(task_dir, summary, layer)
    run = ExportRun(fmt, output, progress or (lambda done, total: None),
                    cancel or threading.Event(), Path(coco_gt) if coco_gt else None)
    try:
        writer(table, summary, run)
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None
    return output


def _writer(fmt: str) -> Writer:
    local: dict[str, Writer] = {"alphapose": write_alphapose_json, "coco": write_coco,
                                "csv": write_csv, "overlay-video": write_rendered,
                                "frames-jpeg": write_rendered}
    if fmt in local:
        return local[fmt]
    module, name = _INTERCHANGE[fmt]
    try:
        return getattr(importlib.import_module(f"ambientpose_desktop.pipeline.{module}"), name)
    except ImportError as exc:
        extra = EXTRA_OF[fmt]
        missing = (exc.name or "a library").split(".")[0]
        raise MissingExtra(f"the {fmt} export needs the {extra} extra ({missing} is missing): "
                         f"pip install 'ambientpose-desktop[{extra}]'") from None


_INTERCHANGE = {"slp": ("export_sleap", "write_slp"),
                "analysis-h5": ("export_sleap", "write_analysis_h5"),
                "nwb": ("export_nwb", "write_nwb"), "dlc": ("export_dlc", "write_dlc")}


def write_alphapose_json(table: PoseTable, summary: Summary, run: ExportRun) -> None:
    write_alphapose(run.output, table.frames(), summary.source.image_names)
    run.progress(1, 1)


def write_coco(table: PoseTable, summary: Summary, run: ExportRun) -> None:
    """COCO keypoint results. A video's ``image_id`` is the frame number; an image folder's is
    each image's COCO id (``core.results.coco_image_ids``: from ``run.coco_gt`` or the names)."""
    names = summary.source.image_names
    ids = None
    if names:
        ground_truth = json.loads(run.coco_gt.read_text(encoding="utf-8")) if run.coco_gt else None
        try:
            ids = coco_image_ids(names, ground_truth)
        except KeyError as exc:
            raise InputError(f"{run.coco_gt}: {exc.args[0]}") from None
    entries = to_coco_results(to_alphapose(table.frames(), names), ids)
    atomic_write_text(run.output, json.dumps(entries, separators=(",", ":")))
    run.progress(1, 1)


def csv_header(keypoint_names: tuple[str, ...]) -> list[str]:
    columns = ["frame", "time_s", "idx", "score"]
    for name in keypoint_names:
        columns += [f"{name}_x", f"{name}_y", f"{name}_score"]
    return columns


def write_csv(table: PoseTable, summary: Summary, run: ExportRun) -> None:
    """One row per frame and person, the numbers as in the JSON (``core/results.py``): x, y
    and keypoint scores to 4 decimals, time and person score to 6; a keypoint the filtered
    layer dropped has empty x and y and score 0."""
    names = get_format(summary.keypoint_format).names[: table.num_keypoints]
    frame_of = table.frame_of_row()
    stamps = rounded(summary.frame_times(table.num_frames), SCORE_DIGITS)
    rows = len(frame_of)
    with atomic_path(run.output) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(csv_header(names))
        for start in range(0, rows, _CSV_CHUNK):
            run.check()
            end = min(start + _CSV_CHUNK, rows)
            keypoints = rounded(table.keypoints[start:end].reshape(end - start, -1),
                                KEYPOINT_DIGITS)
            scores = rounded(table.scores[start:end], SCORE_DIGITS)
            for r in range(start, end):
                frame = int(frame_of[r])
                values = ["" if v != v else v for v in keypoints[r - start]]  # NaN: empty
                writer.writerow([frame, stamps[frame], int(table.idx[r]), scores[r - start],
                                 *values])
            run.progress(end, rows)
        if rows == 0:
            run.progress(0, 0)


def write_rendered(table: PoseTable, summary: Summary, run: ExportRun) -> None:
    """Decode the source again and draw the poses, through the worker's own render path
    (``outputs.draw_source``: the whole source, matched to the results by timestamp; at the
    damage that ended a partial run, the drawing ends too): the overlay video keeps each
    frame's timestamp, so a variable-frame-rate source stays in sync; ``frames-jpeg`` when
    ``run.output`` is to be a folder."""
    from ambientpose_desktop.pipeline.outputs import RenderedOutputs, draw_source

    fmt, output = run.fmt, run.output
    source_path = Path(summary.source.path)
    if not source_path.exists():
        raise InputError(f"the source {source_path} is gone; the {fmt} export needs it")
    kf = get_format(summary.keypoint_format)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.", suffix=".part", dir=output.parent))
    try:
        rendered = RenderedOutputs(staging, source_path.stem, kf, summary.source.fps,
                                   video=fmt == "overlay-video", jpeg=fmt == "frames-jpeg")
        try:
            draw_source(rendered, source_path, table, summary.source.timestamps, run.check,
                        run.progress)
            names = rendered.finish(run.cancel)
            run.check()
        except BaseException:
            rendered.abort()
            raise
        _move_into_place(staging, names, output, fmt)
    finally:
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
