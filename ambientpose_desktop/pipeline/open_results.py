"""What `ambientpose view PATH` and the viewer's File → Open results… open: the task folder
behind a path, whether or not a task in the database knows it.

- a results folder (``summary.json`` in it: a task folder, or ``ambientpose detect --output``),
  or a file of one (``pose.json``, ``pose.npz``, ``summary.json``): that folder, as it is;
- foreign results: an AlphaPose-format JSON (a list of ``{image_id, keypoints, …}``), or a
  folder holding one, with its video (given, the only video beside it, or asked for);
- foreign predictions (``pipeline/foreign_poses.py``): SLEAP ``.slp`` and analysis ``.h5``,
  DeepLabCut ``.h5`` / ``.csv``, with their video (given, else the one the file names if it
  is there, else the one beside it, else asked for). Their identities keep the file's names
  as proofreading names (``Rename`` edits in the folder's edit file) unless they are our own
  ``person_<idx>``, whose ids come back as they were.

Foreign results get a folder of their own under ``AppPaths.opened`` (one per file: opening it
again finds its edits and filtered layer there) with a ``summary.json`` made from the video;
the JSON is copied (predictions written as ``pose.json`` and ``pose.npz``), the user's file
never changed. Then they are proofread, filtered and exported as a task.

Anything else is an ``InputError`` in one line that says what would open.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.keypoints import format_for_count
from ambientpose_desktop.core.media import is_video_name
from ambientpose_desktop.core.summary import SourceInfo, Summary
from ambientpose_desktop.core.task_folder import POSE_JSON, POSE_TABLE, SUMMARY, TaskFolder
from ambientpose_desktop.pipeline.foreign_poses import PREDICTION_SUFFIXES, ForeignPoses

AskVideo = Callable[[str], Path | None]  # asked with what is missing; None: the user gave up
Fill = Callable[[TaskFolder, SourceInfo], tuple[str, int, int]]  # -> format, persons, tracks
FOREIGN_BACKEND = "opened"  # summary.json's backend for results made elsewhere
_WHAT_OPENS = ("a results folder of `ambientpose detect`, its pose.json or pose.npz, "
               "AlphaPose-format JSON, SLEAP .slp or analysis .h5, or DeepLabCut .h5 / .csv "
               "predictions")
# The file dialogs of File → Open results… (viewer and main window).
OPEN_FILTER = ("Results (summary.json pose.json pose.npz *.json *.npz *.slp *.h5 *.csv);;"
               "All files (*)")


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
    if path.is_file() and path.suffix.lower() in PREDICTION_SUFFIXES:
        return _predictions_folder(path, workspace, video, ask_video)
    pose = path if path.is_file() else _pose_json_in(path)
    if pose.suffix.lower() != ".json":
        raise InputError(f"cannot open {path.name}: not {_WHAT_OPENS}"
                         + (" (a pose.npz needs its summary.json beside it)"
                            if pose.suffix.lower() == ".npz" else ""))
    entries = _alphapose_entries(pose)
    video = _choose_video(pose, video, None, ask_video)

    def fill(files: TaskFolder, source: SourceInfo) -> tuple[str, int, int]:
        fmt = _format_of_entries(pose, entries)
        shutil.copyfile(pose, files.pose_json)
        ids = {e.get("idx") for e in entries if isinstance(e.get("idx"), int | float)}
        return fmt, len(entries), len(ids)

    return _foreign_folder(pose, video, workspace, fill)


def _predictions_folder(path: Path, workspace: Path, video: Path | None,
                        ask_video: AskVideo | None) -> Path:
    from ambientpose_desktop.pipeline.foreign_poses import read_predictions

    before = _opened_before(path, workspace)
    if before is not None and (video is None or Path(video).expanduser().resolve()
                               == Path(before.source.path)):
        return _folder_of(path, workspace)  # not read again: an hour of it takes a minute
    poses = read_predictions(path)
    chosen = _choose_video(path, video, poses.video, ask_video)
    return _foreign_folder(path, chosen, workspace, lambda files, source: _write_predictions(
        path, poses, files, source))


def _write_predictions(path: Path, poses: ForeignPoses, files: TaskFolder,
                       source: SourceInfo) -> tuple[str, int, int]:
    """The predictions as the folder's linked layer (``pose.json``, then ``pose.npz``), over
    the video's frames; the identities' names as the first edits."""
    from ambientpose_desktop.core.edits import EditLog, Rename
    from ambientpose_desktop.core.pose_table import PoseTable
    from ambientpose_desktop.core.results import write_alphapose

    table, frames = poses.table, source.frame_count
    if table.num_frames > frames:
        last = int(table.frame_of_row()[-1])
        if last >= frames:
            raise InputError(f"{path.name} has poses up to frame {last} but the video "
                             f"{Path(source.path).name} has {frames} frames: is it its video?")
    extra = np.full(max(frames - table.num_frames, 0), table.offsets[-1], np.int64)
    table = PoseTable(offsets=np.concatenate([table.offsets[:frames + 1], extra]),
                      keypoints=table.keypoints, boxes=table.boxes, scores=table.scores,
                      idx=table.idx)
    write_alphapose(files.pose_json, table.frames(), source.image_names)
    table.save(files.pose_table)
    if poses.names:
        log = EditLog()
        for identity, name in poses.names.items():
            log.append(Rename(identity, name))
        log.save(files.edits)
    return poses.keypoint_format, table.num_rows, len(np.unique(table.idx[table.idx >= 0]))


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


def _choose_video(results: Path, given: Path | None, named: Path | None,
                  ask_video: AskVideo | None) -> Path:
    """The video of results made elsewhere: the one given, else the one the file names if it
    is there, else the only one beside it, else the one the user picks."""
    if given is not None:
        return Path(given).expanduser()
    if named is not None and named.exists():
        return named
    video = _video_beside(results)
    if video is None and ask_video is not None:
        video = ask_video(f"the video of {results.name}")
    if video is None:
        gone = f" (it names {named}, which is not there)" if named is not None else ""
        raise InputError(f"no single video beside {results.name}{gone}: name it with --video")
    return Path(video)


def _video_beside(results: Path) -> Path | None:
    """The only video beside ``results``, or of several the one whose name it starts with
    (DeepLabCut names its output ``<video>DLC_<network>…``)."""
    videos = [p for p in sorted(results.parent.iterdir()) if p.is_file() and is_video_name(p)]
    if len(videos) > 1:
        videos = [p for p in videos if results.name.startswith(p.stem)]
    return videos[0] if len(videos) == 1 else None


def _format_of_entries(pose: Path, entries: list[dict]) -> str:
    lengths = {len(e["keypoints"]) for e in entries}
    try:
        if len(lengths) != 1 or next(iter(lengths)) % 3:
            raise KeyError("mixed")
        return format_for_count(next(iter(lengths)) // 3).name
    except KeyError:
        raise InputError(f"{pose.name}: the poses have {sorted(lengths)} keypoint values; "
                         f"none is a keypoint format the viewer knows") from None


def _folder_of(results: Path, workspace: Path) -> Path:
    return Path(workspace) / hashlib.sha256(str(results.resolve()).encode()).hexdigest()[:16]


def _stamp(results: Path) -> dict:
    """What ``summary.json``'s params record of the file: a changed file is opened anew."""
    return {"opened_from": str(results.resolve()), "mtime_ns": results.stat().st_mtime_ns}


def _opened_before(results: Path, workspace: Path) -> Summary | None:
    """The summary of the folder made for this very file, its video still there; else None."""
    files = TaskFolder(_folder_of(results, workspace))
    if not files.has_results():
        return None
    summary = Summary.read(files.summary)
    if summary.params != _stamp(results) or not Path(summary.source.path).exists():
        return None
    return summary


def _foreign_folder(pose: Path, video: Path, workspace: Path, fill: Fill) -> Path:
    """The folder of results made elsewhere: made (``fill`` writes the poses) unless the
    same file and video were opened before."""
    from ambientpose_desktop.pipeline.video import probe

    if not video.exists():
        raise InputError(f"the video {video} does not exist")
    source = probe(video)
    source.path = str(video.resolve())
    folder = _folder_of(pose, workspace)
    files = TaskFolder(folder)
    before = _opened_before(pose, workspace)
    if before is not None and before.source.path == source.path:
        return folder  # opened before: its edits and filtered layer are still there
    if folder.exists():
        shutil.rmtree(folder)  # the JSON or its video changed: the old copy is not its own
    folder.mkdir(parents=True)
    try:
        fmt, persons, tracks = fill(files, source)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    # written last: a folder without it is not finished and is made again next time
    Summary(source=source, keypoint_format=fmt, backend=FOREIGN_BACKEND, device="",
            params=_stamp(pose), frames_processed=source.frame_count, persons=persons,
            tracks=tracks, timings={}).write(files.summary)
    return folder
