"""Start the window: application, store, settings, crash recovery, runner, main window.

``AMBIENTPOSE_SCREENSHOT=file.png`` saves a picture of the window once it is shown and quits
(documentation, the real-window test and the start-up benchmark use it);
``AMBIENTPOSE_SCREENSHOT_DELAY_MS`` waits that long first.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from loguru import logger
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


def open_window_store(recover_db: bool = False,
                      ) -> tuple[TaskRepository, ArtefactStore, str]:
    """The store, and a message for the status bar. A damaged database is moved aside if the
    user agrees in a dialog (or ``recover_db``); else ``DamagedDatabase`` is raised, as is
    any other ``DatabaseError``, after a message box for whoever started the app from a menu."""
    from ambientpose_desktop.core.errors import DamagedDatabase, DatabaseError
    from ambientpose_desktop.gui import dialogs
    from ambientpose_desktop.gui.main_window import APP_TITLE
    from ambientpose_desktop.store import open_store, recover_store

    try:
        return (*open_store(), "")
    except DamagedDatabase as exc:
        if not recover_db and not dialogs.ask_move_damaged_database(None, str(exc.path),
                                                                     exc.reason):
            raise
    except DatabaseError as exc:
        dialogs.show_error(None, APP_TITLE, str(exc))
        raise
    message = recover_store().message()
    logger.warning(message)
    return (*open_store(), message)


def _application() -> QApplication:
    from ambientpose_desktop.gui.main_window import APP_TITLE
    from ambientpose_desktop.gui.resources import app_icon

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_TITLE)
    app.setDesktopFileName("ambientpose")  # matches resources/ambientpose.desktop (Wayland icon)
    app.setOrganizationName(APP_TITLE)
    app.setWindowIcon(app_icon())
    app.setStyle("Fusion")
    return app


def view(folder) -> int:
    """``ambientpose view``: the viewer alone on a results folder, no database opened. A
    folder it cannot show raises the viewer's ``InputError`` (one line, exit 2)."""
    from ambientpose_desktop.core.logs import setup_logging
    from ambientpose_desktop.gui.viewer import ViewerWindow

    app = _application()
    setup_logging("gui")
    window = ViewerWindow(folder)
    window.show()
    window.raise_()
    window.activateWindow()
    screenshot = os.environ.get("AMBIENTPOSE_SCREENSHOT")
    if screenshot:
        def save() -> None:
            window.grab().save(screenshot)
            window.close()
            app.quit()

        QTimer.singleShot(int(os.environ.get("AMBIENTPOSE_SCREENSHOT_DELAY_MS", "0")), save)
    return app.exec()


def main(make_server: ServerFactory | None = None, recover_db: bool = False) -> int:
    """Run the window until it closes; returns the exit code. Without ``make_server`` the
    Server menu says how to install the server; ``recover_db`` moves a damaged database
    aside without asking."""
    from ambientpose_desktop.core.logs import setup_logging
    from ambientpose_desktop.gui.main_window import MainWindow
    from ambientpose_desktop.runner.qt_runner import QtTaskRunner

    app = _application()
    setup_logging("gui")
    repo, artefacts, notice = open_window_store(recover_db)
    try:
        settings = AppSettings.load()
        runner = QtTaskRunner(repo, artefacts, settings)
        server = _deferred(make_server, repo, artefacts, runner) if make_server else None
        window = MainWindow(repo, artefacts, runner, settings, server=server)
        window.show()
        # Take the keyboard at once (Ctrl+O right after start): a desktop without a window
        # manager, or one that does not focus new windows, would leave the window inactive.
        window.raise_()
        window.activateWindow()
        screenshot = os.environ.get("AMBIENTPOSE_SCREENSHOT")
        if screenshot:
            _schedule_screenshot(app, window, screenshot)
        interrupted = [t for t in runner.start() if t.status == TaskStatus.FAILED]
        if interrupted:
            notice = (f"{len(interrupted)} task(s) were interrupted when the app last "
                      "stopped; they are marked Failed, choose Retry to run them again")
        if notice:
            window.notify(notice)
        return app.exec()
    finally:
        repo.close()
