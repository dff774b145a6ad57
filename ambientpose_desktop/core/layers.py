"""Which layer of a task's results to read: raw, linked, edited or filtered.

Every reader of results (viewer, exports, API, ``ambientpose tracks``) asks this module for a
layer, so "the default is the most processed one that exists" is decided in one place. No
layer rewrites the one below it; see ``core/task_folder.py`` for the files behind each.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.pose_table import PoseTable, load_task_table
from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.core.task_folder import TaskFolder


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
    if files.filtered_table.is_file():
        found.append(Layer.FILTERED)
    return found


def default_layer(folder: Path) -> Layer:
    """The most processed layer that exists (linked when there is nothing at all yet)."""
    layers = available_layers(folder)
    return layers[-1] if layers else Layer.LINKED


def resolve_layer(folder: Path, layer: str | Layer | None) -> Layer:
    """``layer`` checked against what the folder has; ``None`` means the default."""
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
    return chosen


def load_layer(folder: Path, summary: Summary, layer: str | Layer | None = None) -> PoseTable:
    """The results of ``folder`` in ``layer`` (default: the most processed one)."""
    chosen = resolve_layer(folder, layer)
    files = TaskFolder(folder)
    if chosen == Layer.RAW:
        return PoseTable.load(files.raw_table)
    if chosen == Layer.FILTERED:
        return PoseTable.load(files.filtered_table)
    return load_task_table(folder, summary)
