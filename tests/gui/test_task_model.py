"""The table model follows the repository row by row, whatever thread changes it."""

from __future__ import annotations

import threading

from PySide6.QtCore import QSortFilterProxyModel

from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.gui.task_model import (
    COLUMNS,
    FILE,
    PROGRESS,
    PROGRESS_ROLE,
    SORT_ROLE,
    STATUS,
    TaskTableModel,
    format_seconds,
)


def test_rows_follow_changes_from_another_thread(store, qtbot, tmp_path):
    repo, _ = store
    model = TaskTableModel(repo)
    resets, changed = [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.dataChanged.connect(lambda a, b, roles=(): changed.append((a.row(), a.column())))

    worker = threading.Thread(target=lambda: repo.create(tmp_path / "walk.mp4"))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: model.rowCount() == 1)
    task = model.task_at(0)
    assert model.index(0, FILE).data() == "walk.mp4"
    assert model.index(0, STATUS).data() == "Queued"

    repo.claim_next()
    repo.set_progress(task.id, 10, 40)
    qtbot.waitUntil(lambda: model.task_at(0).progress_done == 10)
    assert (0, STATUS) in changed and (0, PROGRESS) in changed
    assert (0, FILE) not in changed  # only the cells that changed
    assert model.index(0, PROGRESS).data(PROGRESS_ROLE) == (0.25, "10 / 40",
                                                            TaskStatus.RUNNING)

    model.update_live(task.id, 30, 40, 12.5, 0.8)
    assert model.index(0, PROGRESS).data() == "30 / 40"
    assert model.index(0, COLUMNS.index("FPS")).data() == "12.5"

    repo.delete(task.id)
    qtbot.waitUntil(lambda: model.rowCount() == 0)
    assert resets == []
    model.close()


def test_changes_by_another_process_are_picked_up(store, qtbot, tmp_path):
    from ambientpose_desktop.store import open_store

    repo, _ = store
    model = TaskTableModel(repo)
    other_repo, _ = open_store()  # another process's repository: no listener shared
    task = other_repo.create(tmp_path / "far.mp4")
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=10_000)
    other_repo.set_status(task.id, TaskStatus.CANCELED)
    qtbot.waitUntil(lambda: model.task_at(0).status == TaskStatus.CANCELED, timeout=10_000)
    kept = other_repo.create(tmp_path / "kept.mp4")
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=10_000)
    other_repo.delete(task.id)
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=10_000)
    assert model.task_at(0).id == kept.id
    model.close()


def test_sorting_by_progress_and_name(store, qtbot, tmp_path):
    repo, _ = store
    for name, done in (("b.mp4", 5), ("a.mp4", 1), ("c.mp4", 3)):
        task = repo.create(tmp_path / name)
        repo.claim_next()
        repo.set_progress(task.id, done, 10)
    model = TaskTableModel(repo)
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    proxy.sort(PROGRESS)
    assert [proxy.index(r, FILE).data() for r in range(3)] == ["a.mp4", "c.mp4", "b.mp4"]
    proxy.sort(FILE)
    assert [proxy.index(r, FILE).data() for r in range(3)] == ["a.mp4", "b.mp4", "c.mp4"]
    model.close()


def test_format_seconds():
    assert format_seconds(None) == ""
    assert format_seconds(65.4) == "1:05"
    assert format_seconds(3725) == "1:02:05"
