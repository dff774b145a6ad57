"""Start the window: application, store, settings, crash recovery, runner, main window.

``AMBIENTPOSE_SCREENSHOT=file.png`` saves a picture of the window once it is shown and quits
(documentation, the real-window test and the start-up benchmark use it);
``AMBIENTPOSE_SCREENSHOT_DELAY_MS`` waits that long first.
"""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ambientpose_desktop.runner.protocol import RemoteServer


def _schedule_screenshot(app: QApplication, window, path: str) -> None:
    def save() -> None:
        window.grab().save(path)
        window.runner.shutdown(timeout_s=2.0)
        app.quit()

    QTimer.singleShot(int(os.environ.get("AMBIENTPOSE_SCREENSHOT_DELAY_MS", "0")), save)


def main(remote_server: RemoteServer | None = None) -> int:
    """Run the window until it closes; returns the exit code."""
    from ambientpose_desktop.core.logs import setup_logging
    from ambientpose_desktop.gui.main_window import APP_TITLE, MainWindow
    from ambientpose_desktop.gui.resources import app_icon
    from ambientpose_desktop.runner.qt_runner import QtTaskRunner
    from ambientpose_desktop.runner.recovery import recover_on_start
    from ambientpose_desktop.store import open_store
    from ambientpose_desktop.store.settings import AppSettings

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_TITLE)
    app.setOrganizationName(APP_TITLE)
    app.setWindowIcon(app_icon())
    app.setStyle("Fusion")
    setup_logging("gui")
    repo, artefacts = open_store()
    settings = AppSettings.load()
    recovered = recover_on_start(repo)
    runner = QtTaskRunner(repo, artefacts, settings)
    window = MainWindow(repo, artefacts, runner, settings, server=remote_server)
    if recovered:
        window.notify(f"{len(recovered)} task(s) were interrupted when the app last stopped; "
                      "they are marked Failed, choose Retry to run them again")
    window.show()
    screenshot = os.environ.get("AMBIENTPOSE_SCREENSHOT")
    if screenshot:
        _schedule_screenshot(app, window, screenshot)
    runner.wake()
    return app.exec()
