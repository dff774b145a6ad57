"""The window on a damaged task database: a dialog at start offers to move it aside or quit."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from ambientpose_desktop.core.errors import DamagedDatabase
from ambientpose_desktop.core.paths import app_paths
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.gui import dialogs
from ambientpose_desktop.gui.app import open_window_store
from ambientpose_desktop.store import open_store
from tests.pipeline.worker_helpers import worker_env
from tests.store.store_helpers import damage, place_task_folder, sound_database

FINISHED = "d" * 32


def answer_dialog(button_text: str, seen: list[QMessageBox]) -> None:
    """Click ``button_text`` in the message box about to open, as a user would."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        seen.append(box)
        next(b for b in box.buttons() if b.text() == button_text).click()

    QTimer.singleShot(0, click)


@pytest.fixture
def damaged(ambientpose_home, finished_task_folder):
    paths = app_paths().ensure()
    sound_database(paths.database)
    damage(paths.database, "data-page")
    place_task_folder(finished_task_folder, paths.tasks / FINISHED)
    return paths


def test_the_dialog_names_the_file_and_offers_move_aside_or_quit(qtbot, damaged):
    seen: list[QMessageBox] = []
    answer_dialog("Quit", seen)
    assert not dialogs.ask_move_damaged_database(None, str(damaged.database), "bad page")
    assert str(damaged.database) in seen[0].text()
    assert sorted(b.text() for b in seen[0].buttons()) == sorted(
        [dialogs.MOVE_ASIDE, "Quit", "Show Details..."])
    assert "bad page" in seen[0].detailedText()


def test_quit_leaves_the_damaged_file_where_it_is(qtbot, damaged):
    before = damaged.database.read_bytes()
    answer_dialog("Quit", [])
    with pytest.raises(DamagedDatabase):
        open_window_store()
    assert damaged.database.read_bytes() == before
    assert not list(damaged.data.glob("*.damaged-*"))


def test_move_aside_starts_with_the_adopted_task_folders(qtbot, damaged):
    before = damaged.database.read_bytes()
    answer_dialog(dialogs.MOVE_ASIDE, [])
    repo, artefacts, notice = open_window_store()
    try:
        assert [(t.id, t.status) for t in repo.list()] == [(FINISHED, TaskStatus.SUCCESS)]
        assert "adopted 1 finished and 0 unfinished" in notice
        (moved,) = damaged.data.glob("ambientpose.sqlite3.damaged-*")
        assert moved.read_bytes() == before
    finally:
        repo.close()


def test_window_command_recover_db_moves_aside_without_asking(damaged, tmp_path):
    shot = tmp_path / "shown.png"
    env = worker_env(AMBIENTPOSE_SCREENSHOT=str(shot), QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-m", "ambientpose_desktop", "gui", "--recover-db"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert shot.stat().st_size > 0
    assert len(list(damaged.data.glob("ambientpose.sqlite3.damaged-*"))) == 1
    repo, _ = open_store()
    assert repo.get(FINISHED).status == TaskStatus.SUCCESS
    repo.close()


@pytest.fixture
def loguru_restored():
    """``gui.app.main`` sets up the app's logging; give the next tests loguru's default back."""
    yield
    from loguru import logger

    logger.remove()
    logger.add(sys.stderr)


def test_plain_ambientpose_quit_says_so_in_one_line(qtbot, damaged, capsys, loguru_restored):
    from ambientpose_desktop.cli import main

    answer_dialog("Quit", [])
    assert main([]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: the task database {damaged.database}")
    assert damaged.database.exists()
