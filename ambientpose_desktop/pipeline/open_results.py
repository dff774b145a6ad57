"""What `ambientpose view PATH` and the viewer's File → Open results… open: the task folder
behind a path, whether or not a task in the database knows it.

- a results folder (``summary.json`` in it: a task folder, or ``ambientpose detect --output``),
  or a file of one (``pose.json``, ``pose.npz``, ``summary.json``): that folder, as it is;
- foreign results: an AlphaPose-format JSON (a list of ``{image_id, keypoints, …}``), or a
  folder holding one, with its video (given, the only video beside it, or asked for). These
  get a folder of their own under ``AppPaths.opened`` (one per JSON file: opening it again
  finds its edits and filtered layer there) with a ``summary.json`` made from the video; the
  JSON is copied, never changed. Then they are proofread, filtered and exported as a task.

Anything else is an ``InputError`` in one line that says what would open.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.keypoints import format_for_count
from ambientpose_desktop.core.media import is_video_name
from ambientpose_desktop.core.summary import Summary
from ambientpose_desktop.core.task_folder import POSE_JSON, POSE_TABLE, SUMMARY, TaskFolder

AskVideo = Callable[[str], Path | None]  # asked with what is missing; None: the user gave up
FOREIGN_BACKEND = "opened"  # summary.json's backend for results made elsewhere
_WHAT_OPENS = ("a results folder of `ambientpose detect`, its pose.json or pose.npz, or an "
               "AlphaPose-format JSON with its video")


def results_folder(path: Path, workspace: Path, video: Path | None = None,
                   ask_video: AskVideo | None = None) -> Path:
    """The task folder to view for ``path`` (see the module docstring); ``workspace`` is
    where foreign results get their folder."""
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError(f"{path} does not exist")
    folder = path if path.is_dir() else path.parent
    if TaskFolder(folder).has_results() and (path.is_dir()
                                             or path.name in (POSE_JSON, POSE_TABLE, SUMMARY)):
        return folder
    pose = path if path.is_file() else _pose_json_in(path)
    if pose.suffix.lower() != ".json":
        raise InputError(f"cannot open {path.name}: not {_WHAT_OPENS}"
                         + (" (a pose.npz needs its summary.json beside it)"
                            if pose.suffix.lower() == ".npz" else ""))
    entries = _alphapose_entries(pose)
    video = Path(video).expanduser() if video is not None else _video_beside(pose)
    if video is None and ask_video is not None:
        video = ask_video(f"the video of {pose.name}")
    if video is None:
        raise InputError(f"no single video beside {pose.name}: name it with --video")
    return _foreign_folder(pose, entries, video, workspace)


def _pose_json_in(folder: Path) -> Path:
    named = folder / POSE_JSON
    if named.is_file():
        return named
    found = sorted(p for p in folder.glob("*.json") if _looks_like_alphapose(p))
    if not found:
        raise InputError(f"cannot open {folder}: no summary.json and no AlphaPose-format "
                         f"JSON in it; it opens {_WHAT_OPENS}")
    if len(found) > 1:
        raise InputError(f"{folder} holds several pose JSON files "
                         f"({', '.join(p.name for p in found[:3])}…): open one of them")
    return found[0]


def _looks_like_alphapose(path: Path) -> bool:
    try:
        _alphapose_entries(path)
    except InputError:
        return False
    return True


def _alphapose_entries(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read {path.name} as JSON: {exc}") from None
    if not isinstance(data, list) or not all(
            isinstance(e, dict) and "image_id" in e and isinstance(e.get("keypoints"), list)
            for e in data):
        raise InputError(f"{path.name} is not in AlphaPose's format (a list of entries with "
                         f"image_id and keypoints)")
    if not data:
        raise InputError(f"{path.name} holds no poses")
    return data


def _video_beside(pose: Path) -> Path | None:
    videos = [p for p in sorted(pose.parent.iterdir()) if p.is_file() and is_video_name(p)]
    return videos[0] if len(videos) == 1 else None


def _foreign_folder(pose: Path, entries: list[dict], video: Path, workspace: Path) -> Path:
    from ambientpose_desktop.pipeline.video import probe

    if not video.is_file():
        raise InputError(f"the video {video} does not exist")
    source = probe(video)
    source.path = str(video.resolve())
    lengths = {len(e["keypoints"]) for e in entries}
    try:
        if len(lengths) != 1 or next(iter(lengths)) % 3:
            raise KeyError("mixed")
        fmt = format_for_count(next(iter(lengths)) // 3)
    except KeyError:
        raise InputError(f"{pose.name}: the poses have {sorted(lengths)} keypoint values; "
                         f"none is a keypoint format the viewer knows") from None
    key = hashlib.sha256(str(pose.resolve()).encode()).hexdigest()[:16]
    folder = Path(workspace) / key
    files = TaskFolder(folder)
    stamp = {"opened_from": str(pose.resolve()), "mtime_ns": pose.stat().st_mtime_ns}
    if files.has_results() and Summary.read(files.summary).params == stamp \
            and Summary.read(files.summary).source.path == source.path:
        return folder  # opened before: its edits and filtered layer are still there
    if folder.exists():
        shutil.rmtree(folder)  # the JSON or its video changed: the old copy is not its own
    folder.mkdir(parents=True)
    shutil.copyfile(pose, files.pose_json)
    ids = {e.get("idx") for e in entries if isinstance(e.get("idx"), int | float)}
    Summary(source=source, keypoint_format=fmt.name, backend=FOREIGN_BACKEND, device="",
            params=stamp, frames_processed=source.frame_count, persons=len(entries),
            tracks=len(ids), timings={}).write(files.summary)
    return folder
