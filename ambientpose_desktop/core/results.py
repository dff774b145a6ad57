"""Pose results in AlphaPose's ``alphapose-results.json`` layout, and COCO keypoint results.

AlphaPose writes a flat list with one entry per person per frame::

    {"image_id": "12.jpg", "category_id": 1, "keypoints": [x, y, s, ...],
     "score": 2.71, "box": [x, y, w, h], "idx": 3}

For a video, AlphaPose names frame ``i`` ``"i.jpg"``; for an image folder, the image file name.
We follow that so tools written for AlphaPose read our files unchanged. Frames without people
have no entry: the frame count lives in ``summary.json``.

Precision, the same in every text export (JSON here, CSV in ``pipeline/export.py``): keypoint
x, y and score to 4 decimals (1/10000 px), person scores and times to 6, boxes to 3. A keypoint
that the filtered layer dropped (NaN x, y; see ``pipeline/filters.py``) is written as
``0, 0, 0``, COCO's way of saying "not there".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ambientpose_desktop.core.poses import FramePoses, Person

CATEGORY_PERSON = 1
KEYPOINT_DIGITS = 4
SCORE_DIGITS = 6
BOX_DIGITS = 3


def video_frame_name(index: int) -> str:
    return f"{index}.jpg"


def frame_index_of(image_id: str | int, names: Sequence[str] | None = None) -> int:
    """Frame index of an ``image_id``: position in ``names`` if given, else ``"12.jpg"`` -> 12."""
    if isinstance(image_id, int):
        return image_id
    if names is not None:
        return _name_index(tuple(names))[image_id]
    return int(Path(image_id).stem)


_NAME_CACHE: dict[tuple[str, ...], dict[str, int]] = {}


def _name_index(names: tuple[str, ...]) -> dict[str, int]:
    if names not in _NAME_CACHE:
        _NAME_CACHE.clear()
        _NAME_CACHE[names] = {n: i for i, n in enumerate(names)}
    return _NAME_CACHE[names]


def rounded(values: Iterable[float] | np.ndarray, digits: int) -> list[float]:
    """``values`` as Python floats rounded to ``digits`` decimals: float32 noise
    (0.9959999918937683) is gone, so every text export prints the same short numbers."""
    return np.round(np.asarray(values, dtype=np.float64), digits).tolist()


def keypoints_for_json(keypoints: np.ndarray) -> list[float]:
    """Flat x, y, score rounded for text; a dropped keypoint (NaN) becomes 0, 0, 0."""
    kp = np.asarray(keypoints, dtype=np.float64).reshape(-1, 3)
    missing = np.isnan(kp[:, :2]).any(axis=1)
    if missing.any():
        kp = kp.copy()
        kp[missing] = 0.0
    return rounded(kp.reshape(-1), KEYPOINT_DIGITS)


def person_to_entry(person: Person, image_id: str | int) -> dict[str, Any]:
    return {
        "image_id": image_id,
        "category_id": CATEGORY_PERSON,
        "keypoints": keypoints_for_json(person.keypoints),
        "score": round(float(person.score), SCORE_DIGITS),
        "box": rounded(person.box, BOX_DIGITS),
        "idx": int(person.idx),
    }


def to_alphapose(frames: Iterable[FramePoses], names: Sequence[str] | None = None) -> list[dict]:
    """Entries for ``frames``; ``names`` gives image file names for image folders."""
    entries = []
    for frame in frames:
        image_id = names[frame.index] if names is not None else video_frame_name(frame.index)
        entries.extend(person_to_entry(p, image_id) for p in frame.persons)
    return entries


def write_alphapose(path: Path, frames: Iterable[FramePoses],
                    names: Sequence[str] | None = None) -> None:
    """Write AlphaPose-format JSON atomically (temporary name, then rename), one frame at a
    time: an hour of results never sits in memory as one list or one string."""
    import os

    from ambientpose_desktop.core.atomic import atomic_path

    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        fh.write("[")
        first = True
        for frame in frames:
            for entry in to_alphapose((frame,), names):
                fh.write(("" if first else ",") + json.dumps(entry, separators=(",", ":")))
                first = False
        fh.write("]")
        fh.flush()
        os.fsync(fh.fileno())


def _idx_of(raw: Any) -> int:
    # AlphaPose without tracking writes idx as a list (or float); keep the first value.
    if isinstance(raw, list):
        raw = raw[0] if raw else -1
    return int(raw) if raw is not None else -1


def from_alphapose(entries: list[dict], num_frames: int | None = None,
                   names: Sequence[str] | None = None,
                   timestamps: Sequence[float] | None = None) -> list[FramePoses]:
    """Frames (every index up to ``num_frames``, empty where nobody was found)."""
    by_index: dict[int, list[Person]] = {}
    for entry in entries:
        index = frame_index_of(entry["image_id"], names)
        box = entry.get("box") or _box_from_keypoints(entry["keypoints"])
        by_index.setdefault(index, []).append(Person(
            keypoints=np.asarray(entry["keypoints"], dtype=np.float32).reshape(-1, 3),
            box=tuple(float(v) for v in box[:4]),
            score=float(entry.get("score", 0.0)),
            idx=_idx_of(entry.get("idx", -1)),
        ))
    count = num_frames if num_frames is not None else (max(by_index, default=-1) + 1)
    return [
        FramePoses(i, float(timestamps[i]) if timestamps is not None else 0.0,
                   by_index.get(i, []))
        for i in range(count)
    ]


def read_alphapose(path: Path, **kwargs: Any) -> list[FramePoses]:
    return from_alphapose(json.loads(Path(path).read_text(encoding="utf-8")), **kwargs)


def _box_from_keypoints(flat: Sequence[float]) -> list[float]:
    kp = np.asarray(flat, dtype=np.float32).reshape(-1, 3)
    x0, y0 = kp[:, 0].min(), kp[:, 1].min()
    return [float(x0), float(y0), float(kp[:, 0].max() - x0), float(kp[:, 1].max() - y0)]


_COCO_NAME = re.compile(r"(?:COCO_[a-z]+\d{4}_)?(\d+)")


def coco_image_ids(names: Sequence[str], ground_truth: dict | None = None) -> dict[str, int]:
    """COCO ``image_id`` of each image of a folder, so results score against real annotations.

    With ``ground_truth`` (a loaded COCO annotations file) each image is looked up by file
    name and must be there. Without it, COCO-style names give their id (``000000397133.jpg``
    and ``COCO_val2014_000000000192.jpg`` are 397133 and 192); folders of other names, or
    names that would give one id twice, keep each image's position in the folder.
    """
    if ground_truth is not None:
        known = {Path(img["file_name"]).name: int(img["id"])
                 for img in ground_truth.get("images", [])}
        missing = [n for n in names if Path(n).name not in known]
        if missing:
            raise KeyError(f"{len(missing)} of {len(names)} images are not in the annotations "
                           f"(first: {missing[0]})")
        return {n: known[Path(n).name] for n in names}
    matches = [_COCO_NAME.fullmatch(Path(n).stem) for n in names]
    ids = [int(m.group(1)) for m in matches if m]
    if len(ids) == len(names) and len(set(ids)) == len(ids):
        return dict(zip(names, ids, strict=True))
    return {n: i for i, n in enumerate(names)}


def to_coco_results(entries: list[dict], image_ids: dict[str, int] | None = None) -> list[dict]:
    """COCO keypoint results (``image_id`` as int) for ``COCOeval(gt, dt, "keypoints")``.

    ``image_ids`` maps AlphaPose image names to COCO ids (from the ground truth's ``file_name``);
    without it, ``"12.jpg"`` becomes 12.
    """
    out = []
    for entry in entries:
        image_id = entry["image_id"]
        if image_ids is not None:
            image_id = image_ids[Path(str(image_id)).name]
        elif not isinstance(image_id, int):
            image_id = int(Path(image_id).stem)
        out.append({
            "image_id": image_id,
            "category_id": CATEGORY_PERSON,
            "keypoints": list(entry["keypoints"]),
            "score": float(entry["score"]),
            "bbox": list(entry.get("box") or _box_from_keypoints(entry["keypoints"])),
            "track_id": _idx_of(entry.get("idx", -1)),
        })
    return out
