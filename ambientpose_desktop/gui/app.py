"""Start the window: application, store, settings, crash recovery, runner, main window.

``AMBIENTPOSE_SCREENSHOT=file.png`` saves a picture of the window once it is shown and quits
(documentation, the real-window test and the start-up benchmark use it);
``AMBIENTPOSE_SCREENSHOT_DELAY_MS`` waits that long first.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.runner.protocol import RemoteServer, TaskRunner
from ambientpose_desktop.store.artefacts import ArtefactStore
from ambientpose_desktop.store.repository import TaskRepository
from ambientpose_desktop.store.settings import AppSettings

# Builds the embedded server over the window's own repository and runner (the composition root
# in ``cli`` passes one when the server extra is installed); the last argument returns the
# settings in force, which change when the user saves the Settings dialog.
ServerFactory = Callable[[TaskRepository, ArtefactStore, TaskRunner, Callable[[], AppSettings]],
                         RemoteServer]


def _schedule_screenshot(app: QApplication, window, path: str) -> None:
    def save() -> None:
        window.grab().save(path)
        window.runner.shutdown(timeout_s=2.0)
        app.quit()

    QTimer.singleShot(int(os.environ.get("AMBIENTPOSE_SCREENSHOT_DELAY_MS", "0")), save)


def _deferred(make_server: ServerFactory, repo: TaskRepository, artefacts: ArtefactStore,
              runner) -> Callable[[], RemoteServer]:
    """The server built on first use from the Server menu: building it loads FastAPI."""
    return lambda: make_server(repo, artefacts, runner, lambda: runner.settings)


def main(make_server: ServerFactory | None = None) -> int:
    """Run the window until it closes; returns the exit code. Without ``make_server`` the
    Server menu says how to install the server."""
    from ambientpose_desktop.core.logs import setup_logging
    from ambientpose_desktop.gui.main_window import APP_TITLE, MainWindow
    from ambientpose_desktop.gui.resources import app_icon
    from ambientpose_desktop.runner.qt_runner import QtTaskRunner
    from ambientpose_desktop.store import open_store

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_TITLE)
    app.setDesktopFileName("ambientpose")  # matches resources/ambientpose.desktop (Wayland icon)
    app.setOrganizationName(APP_TITLE)
    app.setWindowIcon(app_icon())
    app.setStyle("Fusion")
    setup_logging("gui")
    repo, artefacts = open_store()
    settings = AppSettings.load()
    runner = QtTaskRunner(repo, artefacts, settings)
    server = _deferred(make_server, repo, artefacts, runner) if make_server else None
    window = MainWindow(repo, artefacts, runner, settings, server=server)
    window.show()
    screenshot = os.environ.get("AMBIENTPOSE_SCREENSHOT")
    if screenshot:
        _schedule_screenshot(app, window, screenshot)
    interrupted = [t for t in runner.start() if t.status == TaskStatus.FAILED]
    if interrupted:
        window.notify(f"{len(interrupted)} task(s) were interrupted when the app last stopped; "
                      "they are marked Failed, choose Retry to run them again")
    return app.exec()
