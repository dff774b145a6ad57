"""Which layer of a task's results to read: raw, linked, edited or filtered.

Every reader of results (viewer, exports, API, ``ambientpose tracks``) asks this module for a
layer, so "the default is the most processed one that exists" is decided in one place. No
layer rewrites the one below it; see ``core/task_folder.py`` for the files behind each.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from ambientpose_desktop.core.edits import EditLog
from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.task_folder import TaskFolder

if TYPE_CHECKING:  # NumPy stays out of `--help`, which lists the layers
    from ambientpose_desktop.core.edit_session import EditSession
    from ambientpose_desktop.core.pose_table import PoseTable
    from ambientpose_desktop.core.summary import Summary


class Layer(StrEnum):
    RAW = "raw"  # the online tracker's output (after pose NMS), rejected detections kept
    LINKED = "linked"  # after the offline re-linking pass (pose.json)
    EDITED = "edited"  # linked, with the proofreading edits replayed on top
    FILTERED = "filtered"  # gap filling and smoothing of the edited (or linked) layer


LAYER_NAMES = tuple(layer.value for layer in Layer)


def available_layers(folder: Path) -> list[Layer]:
    """The layers this task folder has, least processed first."""
    files = TaskFolder(folder)
    found = []
    if files.raw_table.is_file():
        found.append(Layer.RAW)
    if files.pose_table.is_file() or files.pose_json.is_file():
        found.append(Layer.LINKED)
        if EditLog.load(files.edits).entries:  # after "Revert all edits" there are none
            found.append(Layer.EDITED)
    if files.filtered_table.is_file():
        found.append(Layer.FILTERED)
    return found


def default_layer(folder: Path) -> Layer:
    """The most processed current layer (linked when there is nothing at all yet): a filtered
    layer that edits made after it have outdated is skipped (``core/filtered_layer.py``)."""
    from ambientpose_desktop.core.filtered_layer import is_stale

    layers = [layer for layer in available_layers(folder)
              if layer != Layer.FILTERED or not is_stale(folder)]
    return layers[-1] if layers else Layer.LINKED


def filter_source_layer(folder: Path) -> Layer:
    """The layer a new filter run starts from: the most processed one below filtered."""
    layers = [layer for layer in available_layers(folder) if layer != Layer.FILTERED]
    return layers[-1] if layers else Layer.LINKED


def resolve_layer(folder: Path, layer: str | Layer | None) -> Layer:
    """``layer`` checked against what the folder has; ``None`` means the default."""
    from ambientpose_desktop.core.filtered_layer import is_stale

    if layer is None or layer == "":
        return default_layer(folder)
    try:
        chosen = Layer(layer)
    except ValueError:
        raise InputError(f"unknown layer {layer!r}; choose one of: "
                         f"{', '.join(LAYER_NAMES)}") from None
    if chosen not in available_layers(folder):
        have = ", ".join(layer.value for layer in available_layers(folder)) or "none"
        raise InputError(f"this task has no {chosen.value} results (it has: {have})")
    if chosen == Layer.FILTERED and is_stale(folder):
        raise InputError("the filtered layer is out of date (the edits changed after it was "
                         "computed): run `ambientpose filter` again")
    return chosen


def load_layer(folder: Path, summary: Summary, layer: str | Layer | None = None) -> PoseTable:
    """The results of ``folder`` in ``layer`` (default: the most processed one)."""
    from ambientpose_desktop.core.pose_table import PoseTable, load_task_table

    chosen = resolve_layer(folder, layer)
    files = TaskFolder(folder)
    if chosen == Layer.RAW:
        return PoseTable.load(files.raw_table)
    if chosen == Layer.FILTERED:
        return PoseTable.load(files.filtered_table)
    if chosen == Layer.EDITED:
        return open_edits(folder, summary).table.to_table()
    return load_task_table(folder, summary)


def open_edits(folder: Path, summary: Summary) -> EditSession:
    """The edited layer to work on (viewer, ``ambientpose tracks``): the linked layer, read
    for it alone, with the task's edit file replayed; the raw layer at hand for promoted
    detections."""
    from ambientpose_desktop.core.edit_session import EditSession
    from ambientpose_desktop.core.pose_table import PoseTable, load_task_table

    files = TaskFolder(folder)

    def raw() -> PoseTable | None:
        return PoseTable.load(files.raw_table) if files.raw_table.is_file() else None

    return EditSession(files.edits, load_task_table(folder, summary), raw, owned=True)
