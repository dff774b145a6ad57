import threading

import pytest

from ambientpose_desktop.core.params import TaskParams
from ambientpose_desktop.core.tasks import InvalidTransition, TaskStatus
from ambientpose_desktop.store import TaskNotFound, make_engine
from ambientpose_desktop.store.repository import TaskRepository


def test_create_list_and_persist_across_engines(tmp_path):
    db = tmp_path / "tasks.sqlite3"
    repo = TaskRepository(make_engine(db))
    task = repo.create(tmp_path / "a b é.mp4", TaskParams(backend="fake", conf=0.4))
    again = TaskRepository(make_engine(db)).get(task.id)
    assert again.filename == "a b é.mp4"
    assert again.status == TaskStatus.PENDING
    assert again.task_params.conf == 0.4
    assert repo.count(status=TaskStatus.PENDING) == 1


def test_wal_mode(tmp_path):
    engine = make_engine(tmp_path / "t.sqlite3")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_claim_is_oldest_first_and_exclusive(tmp_path):
    db = tmp_path / "t.sqlite3"
    repo = TaskRepository(make_engine(db))
    ids = [repo.create(tmp_path / f"{i}.mp4").id for i in range(30)]
    claimed: list[str] = []
    lock = threading.Lock()

    def claimer() -> None:
        own = TaskRepository(make_engine(db))  # separate engine: like a second process
        while (task := own.claim_next()) is not None:
            with lock:
                claimed.append(task.id)

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(ids)
    assert len(set(claimed)) == len(ids)
    assert repo.count(status=TaskStatus.RUNNING) == 30


def test_transitions_are_checked(tmp_path):
    repo = TaskRepository(make_engine(tmp_path / "t.sqlite3"))
    task = repo.create(tmp_path / "v.mp4")
    with pytest.raises(InvalidTransition):
        repo.set_status(task.id, TaskStatus.SUCCESS)
    repo.claim_next()
    repo.set_status(task.id, TaskStatus.FAILED, error="boom")
    assert repo.get(task.id).error == "boom"
    retried = repo.retry(task.id)
    assert retried.status == TaskStatus.PENDING and retried.error is None


def test_left_running_lists_tasks_nobody_runs(tmp_path):
    repo = TaskRepository(make_engine(tmp_path / "t.sqlite3"))
    dead = repo.create(tmp_path / "dead.mp4")
    alive = repo.create(tmp_path / "alive.mp4")
    repo.claim_next(runner_id="otherhost:1")
    repo.claim_next(runner_id="otherhost:1")
    repo.set_worker(dead.id, 999_999)
    repo.set_worker(alive.id, 4242)
    assert [t.id for t in repo.left_running(is_alive=lambda pid: pid == 4242)] == [dead.id]


def test_listeners_and_delete(tmp_path):
    repo = TaskRepository(make_engine(tmp_path / "t.sqlite3"))
    seen = []
    repo.subscribe(lambda tid, kind: seen.append(kind))
    task = repo.create(tmp_path / "v.mp4")
    repo.claim_next()
    repo.delete(task.id)
    assert seen == ["created", "updated", "deleted"]
    with pytest.raises(TaskNotFound):
        repo.get(task.id)
