"""A damaged task database is found when the store opens, reported in one line, never deleted."""

from __future__ import annotations

import time

import pytest

from ambientpose_desktop.core.errors import DamagedDatabase
from ambientpose_desktop.store import make_engine
from ambientpose_desktop.store.integrity import check_database, move_aside
from ambientpose_desktop.store.repository import TaskRepository
from tests.store.store_helpers import KINDS, damage, sound_database


@pytest.mark.parametrize("kind", KINDS)
def test_damaged_database_is_refused_by_name_and_kept(tmp_path, kind):
    path = tmp_path / "ambientpose.sqlite3"
    sound_database(path)
    damage(path, kind)
    before = None if path.is_dir() else path.read_bytes()
    with pytest.raises(DamagedDatabase) as caught:
        make_engine(path)
    message = str(caught.value)
    assert str(path) in message and "--recover-db" in message and "\n" not in message
    assert caught.value.path == path
    if before is None:
        assert (path / "something.txt").exists()
    else:
        assert path.read_bytes() == before


def test_sound_and_new_databases_pass(tmp_path):
    path = tmp_path / "ambientpose.sqlite3"
    ids = sound_database(path, tasks=5)
    check_database(path)
    assert {t.id for t in TaskRepository(make_engine(path)).list()} == set(ids)
    empty = tmp_path / "empty.sqlite3"
    empty.write_bytes(b"")
    check_database(empty)
    check_database(tmp_path / "absent.sqlite3")


def test_the_check_is_bounded_in_time(tmp_path):
    path = tmp_path / "ambientpose.sqlite3"
    sound_database(path)
    damage(path, "data-page")
    start = time.monotonic()
    check_database(path, budget_s=0.0)  # cut off at once: the damage goes unseen, start goes on
    assert time.monotonic() - start < 1.0
    with pytest.raises(DamagedDatabase, match="On tree page"):
        check_database(path)


def test_move_aside_keeps_the_file_and_its_wal_as_a_pair(tmp_path):
    path = tmp_path / "ambientpose.sqlite3"
    for name, text in (("", "main"), ("-wal", "wal"), ("-shm", "shm")):
        (tmp_path / f"ambientpose.sqlite3{name}").write_text(text)
    first = move_aside(path)
    assert first.name.startswith("ambientpose.sqlite3.damaged-")
    assert first.read_text() == "main"
    assert (tmp_path / f"{first.name}-wal").read_text() == "wal"
    assert (tmp_path / f"{first.name}-shm").read_text() == "shm"
    assert not any(tmp_path.glob("ambientpose.sqlite3-*")) and not path.exists()
    path.write_text("again")
    second = move_aside(path)  # within the same second: a name of its own, nothing replaced
    assert second != first and second.read_text() == "again" and first.read_text() == "main"
