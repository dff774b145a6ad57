"""Is a folder of images a frame sequence (to be tracked) or unrelated stills (never tracked)?

A tracker that runs across unrelated photos joins strangers: the person at the left of one
picture and whoever stands there in the next get one id. So a folder is tracked only when
it looks like frames of one recording, which is how such folders are made (``ffmpeg -i
video.mp4 frame_%06d.png``, a camera's numbered burst, a microscope's time series):

- every file name is one shared prefix, a number and one shared suffix and extension
  (``frame_000001.png``, ``img7.jpg``), the numbers nearly consecutive once sorted: at least
  ``COVERAGE`` of the numbers between the first and the last, in the folder's usual step
  (so a few dropped frames, or every fifth frame exported, still count);
- every image has the same width and height (read from the file headers of up to
  ``SIZE_SAMPLES`` images spread over the folder, not decoded; an image whose header cannot
  be read is skipped, as the frame source skips it).

Anything else (COCO-style ids, names without numbers, mixed sizes) is stills: each person of
each image gets an id of their own and no id spans two images. The task option that
overrides this (``auto``, ``sequence``, ``stills``) is resolved by ``tracked_as_sequence``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ambientpose_desktop.core.params import FOLDER_MODES

COVERAGE = 0.9
SIZE_SAMPLES = 64
_NUMBERED = re.compile(r"^(.*?)(\d+)(\D*)$")


def tracked_as_sequence(files: Sequence[Path], mode: str = "auto") -> bool:
    """Whether the images ``files`` (in processing order) are tracked as one sequence."""
    if mode not in FOLDER_MODES:
        raise ValueError(f"image folder mode must be one of {', '.join(FOLDER_MODES)}")
    if mode == "auto":
        return is_frame_sequence(files)
    return mode == "sequence"


def is_frame_sequence(files: Sequence[Path]) -> bool:
    """True when ``files`` are numbered frames of one recording (see the module's rules)."""
    return len(files) >= 2 and _numbered_in_order(files) and _same_size(files)


def _numbered_in_order(files: Sequence[Path]) -> bool:
    parts = [_NUMBERED.match(Path(f).stem) for f in files]
    if any(p is None for p in parts):
        return False
    if len({(p.group(1), p.group(3), Path(f).suffix.lower())
            for p, f in zip(parts, files, strict=True)}) != 1:
        return False
    numbers = np.array([int(p.group(2)) for p in parts])
    steps = np.diff(np.sort(numbers))
    if np.any(steps == 0):
        return False
    values, counts = np.unique(steps, return_counts=True)
    step = int(values[np.argmax(counts)])
    span = (int(numbers.max()) - int(numbers.min())) // step + 1
    return len(numbers) / span >= COVERAGE


def _same_size(files: Sequence[Path]) -> bool:
    from PIL import Image

    picks = np.unique(np.linspace(0, len(files) - 1, min(len(files), SIZE_SAMPLES)).astype(int))
    sizes = set()
    for i in picks:
        try:
            with Image.open(files[i]) as image:  # reads the header only
                sizes.add(image.size)
        except Exception:  # noqa: BLE001 - Pillow raises OSError; a wrapper another package
            # patched into Image.open may raise anything (Ultralytics' imports pi-heif)
            continue  # unreadable: the source skips it, the other frames stay a sequence
        if len(sizes) > 1:
            return False
    return len(sizes) == 1


class StillIdsStage:
    """The frame stage (``pipeline.frame_stages.FrameStage``) used instead of tracking for
    stills: every person of every image gets a new id, counted from 1 over the folder."""

    def __init__(self) -> None:
        self._next = 1

    def feed(self, item):
        for person in item.persons:
            person.idx = self._next
            self._next += 1
        return [item]

    def flush(self):
        return []
