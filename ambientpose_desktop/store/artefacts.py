"""Task folders on disk, and safe resolution of paths inside them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ambientpose_desktop.core.paths import AppPaths
from ambientpose_desktop.store.models import Task

# The longest file name and path that the file systems we run on hold (Linux's NAME_MAX and
# PATH_MAX, in bytes): a longer request names no artefact and is refused before the OS sees it.
NAME_MAX_BYTES, PATH_MAX_BYTES = 255, 4096


class UnsafePath(ValueError):
    """A requested path that names no file inside its task folder: it would leave the folder
    (``..``, absolute, a symlink out), or no file system could hold it (too long, NUL, a
    symlink loop)."""


def process_alive(pid: int) -> bool:
    """True if a process with this pid exists (zombies of our own children count as dead)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie has exited: its pid still answers signal 0
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return True


class ArtefactStore:
    """Where each task's results live (``<data>/tasks/<id>/``) and, for videos received over
    the network, its input (``<data>/uploads/<id>/``)."""

    def __init__(self, paths: AppPaths) -> None:
        self.root = paths.tasks
        self.uploads = paths.uploads
        self.root.mkdir(parents=True, exist_ok=True)

    def task_dir(self, task_id: str, create: bool = False) -> Path:
        return self._folder(self.root, task_id, create)

    def results_dir(self, task: Task) -> Path:
        """Where ``task``'s results are: the folder its worker was given (a user-chosen
        Results folder), else its task folder."""
        return Path(task.output_dir) if task.output_dir else self.task_dir(task.id)

    def upload_dir(self, task_id: str, create: bool = False) -> Path:
        return self._folder(self.uploads, task_id, create)

    @staticmethod
    def _folder(parent: Path, task_id: str, create: bool) -> Path:
        if not task_id.isalnum():
            raise UnsafePath(f"not a task id: {task_id!r}")
        folder = parent / task_id
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        return folder

    def resolve(self, task_id: str, relative: str, folder: Path | None = None) -> Path:
        """The file ``relative`` inside the task folder (or ``folder``), or ``UnsafePath``.

        Both sides are fully resolved, so ``..``, absolute paths and symlinks pointing out of
        the folder are all refused, however they were encoded on the way in.
        """
        base = (folder or self.task_dir(task_id)).resolve()
        if not relative or Path(relative).is_absolute() or _unstorable(base, relative):
            raise UnsafePath(relative)
        try:
            target = (base / relative).resolve()
        except RuntimeError:  # a symlink loop (Python 3.11 raises RuntimeError for it)
            raise UnsafePath(relative) from None
        if not target.is_relative_to(base) or target == base:
            raise UnsafePath(relative)
        return target

    def delete(self, task_id: str) -> None:
        """Remove the task's results and its uploaded input, if any."""
        shutil.rmtree(self.task_dir(task_id), ignore_errors=True)
        shutil.rmtree(self.upload_dir(task_id), ignore_errors=True)


def _unstorable(base: Path, relative: str) -> bool:
    """True if no file system could hold ``base / relative`` (a name or the whole path too
    long, a NUL): asking the OS would only fail (ENAMETOOLONG)."""
    if "\x00" in relative:
        return True
    parts = [os.fsencode(part) for part in Path(relative).parts]
    total = len(os.fsencode(base)) + sum(len(part) + 1 for part in parts)
    return total > PATH_MAX_BYTES or any(len(part) > NAME_MAX_BYTES for part in parts)
