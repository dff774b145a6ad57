"""Real damaged task databases (made the ways a disk, a copy or a person damages one), and
task folders as workers leave them."""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

from ambientpose_desktop.core.events import Failed
from ambientpose_desktop.core.task_folder import TaskFolder
from ambientpose_desktop.store import make_engine
from ambientpose_desktop.store.repository import TaskRepository

KINDS = ("random-bytes", "truncated", "schema-page", "data-page", "directory")


def sound_database(path: Path, tasks: int = 300) -> list[str]:
    """A database of ``tasks`` PENDING tasks (enough for several data pages); their ids."""
    repo = TaskRepository(make_engine(path))
    ids = [repo.create(path.parent / f"video{i}.mp4").id for i in range(tasks)]
    repo.close()
    return ids


def damage(path: Path, kind: str) -> None:
    """Damage the sound database at ``path`` (no WAL beside it) in the way ``kind`` names."""
    rng = random.Random(kind)
    data = bytearray(path.read_bytes())
    page = _page_size(path)
    if kind == "random-bytes":
        data = bytearray(rng.randbytes(len(data)))
    elif kind == "truncated":
        data = data[: len(data) // 2]
    elif kind == "schema-page":  # page 1 past the file header: the table of tables
        data[100:page] = rng.randbytes(page - 100)
    elif kind == "data-page":  # the middle of one leaf page of the tasks table
        start = (_leaf_page(path) - 1) * page + page // 4
        data[start:start + 512] = rng.randbytes(512)
    elif kind == "directory":
        path.unlink()
        path.mkdir()
        (path / "something.txt").write_text("a folder where the database should be")
        return
    else:
        raise ValueError(kind)
    path.write_bytes(bytes(data))


def _page_size(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    return size


def _leaf_page(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        leaves = [n for (n,) in conn.execute(
            "SELECT pageno FROM dbstat WHERE name = 'tasks' AND pagetype = 'leaf' "
            "ORDER BY pageno")]
    conn.close()
    assert len(leaves) > 2, "the tasks table needs several data pages"
    return leaves[len(leaves) // 2]


def place_task_folder(finished_task_folder: Path, folder: Path, *, finished: bool = True,
                      failed_after_summary: bool = False) -> Path:
    """``folder`` as a worker leaves it: a copy of a finished run, or (``finished=False``) the
    same run stopped before its summary was written, or (``failed_after_summary``) one whose
    video broke part-way: the summary of the frames before the damage, and a ``failed`` end."""
    shutil.copytree(finished_task_folder, folder)
    if not finished:
        TaskFolder(folder).summary.unlink()
    if failed_after_summary:
        with open(TaskFolder(folder).events, "a", encoding="utf-8") as log:
            log.write(Failed(error="the video is damaged after frame 3").to_json() + "\n")
    return folder


def tasks_in_file_alone(database: Path, elsewhere: Path) -> dict[str, str]:
    """Task id → status, read from a copy of the main database file without its -wal."""
    elsewhere.mkdir()
    copy = elsewhere / database.name
    shutil.copy(database, copy)
    with sqlite3.connect(copy) as conn:
        rows = dict(conn.execute("SELECT id, status FROM tasks"))
    conn.close()
    return rows
