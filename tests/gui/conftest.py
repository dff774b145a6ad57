"""A real window over a real SQLite store in tmp, with the fake backend; dialogs answered."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from ambientpose_desktop.gui import dialogs


@dataclass
class Dialogs:
    """Records what the window asked and told; ``answer`` is what ``ask`` returns."""

    answer: bool = True
    asked: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, str, str]] = field(default_factory=list)


@pytest.fixture
def answered(monkeypatch) -> Dialogs:
    record = Dialogs()

    def ask(parent, title, text, details=""):
        record.asked.append((title, f"{text}\n{details}"))
        return record.answer

    def show_error(parent, title, text, details=""):
        record.errors.append((title, text, details))

    monkeypatch.setattr(dialogs, "ask", ask)
    monkeypatch.setattr(dialogs, "show_error", show_error)
    return record


@pytest.fixture
def make_window(store, qtbot, answered):
    from ambientpose_desktop.core.params import TaskParams
    from ambientpose_desktop.gui.main_window import MainWindow
    from ambientpose_desktop.runner.qt_runner import QtTaskRunner
    from ambientpose_desktop.store.settings import AppSettings

    windows: list[MainWindow] = []

    def make(server=None, paused: bool = False, task: TaskParams | None = None,
             **settings) -> MainWindow:
        repo, artefacts = store
        config = AppSettings(task=task or TaskParams(backend="fake"), **settings,
                             queue_paused=paused)
        runner = QtTaskRunner(repo, artefacts, config, cancel_grace_s=3.0)
        window = MainWindow(repo, artefacts, runner, config, server=server)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:  # no worker may outlive its test
        window.runner.shutdown(timeout_s=3.0)
        window.model.close()
