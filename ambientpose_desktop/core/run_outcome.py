"""Did the last run in a task folder finish, and what the task list shows of it.

Read from the folder alone (the source of truth for artefacts), so that crash recovery of the
runners and adoption of folders into a new task database (``store.adoption``) agree on when a
run counts as finished: its event log ends with ``finished`` and its summary was written. A
run that stopped at damage in the video writes a summary of the frames before it and ends
``failed``: not finished.
"""

from __future__ import annotations

import json
from pathlib import Path

from ambientpose_desktop.core.events import Canceled, Failed, Finished, parse_event
from ambientpose_desktop.core.task_folder import TaskFolder


def finished_metrics(folder: Path, finished: Finished) -> dict:
    """What the task list shows of a finished run: from its last event and ``summary.json``."""
    metrics: dict = {"frames": finished.frames, "persons": finished.persons,
                     "elapsed_s": finished.elapsed_s}
    try:
        data = json.loads(TaskFolder(folder).summary.read_text(encoding="utf-8"))
        metrics.update({key: data.get(key) for key in
                        ("tracks", "keypoint_format", "device", "backend")})
        metrics["video_fps"] = data["source"].get("fps")
    except (OSError, ValueError, KeyError, AttributeError):
        pass
    return metrics


def finished_run(folder: Path) -> Finished | None:
    """The ``finished`` event of the run in ``folder`` if that run completed (its event log
    ends with it and its summary was written), else ``None``. Each run starts with a fresh
    log (``start_fresh``), so the log describes the last run only."""
    files = TaskFolder(folder)
    if not files.has_results():
        return None
    try:
        with open(files.events, "rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - 65536))
            lines = fh.read().splitlines()
    except OSError:
        return None
    events = [e for e in (parse_event(line) for line in lines) if e is not None]
    final = next((e for e in reversed(events) if isinstance(e, Finished | Failed | Canceled)),
                 None)
    return final if isinstance(final, Finished) else None
