"""The Server menu: start/stop the embedded HTTP server and hand its address and token out.

The server itself is a ``RemoteServer`` given to the window by the composition root, so this
module never imports ``server/``; without one the menu says how to get it.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QMenu,
    QPushButton,
    QWidget,
)

from ambientpose_desktop.gui import dialogs
from ambientpose_desktop.gui.widgets import add_actions, with_button
from ambientpose_desktop.runner.protocol import RemoteServer

NOT_INSTALLED = "Server not installed: pip install 'ambientpose-desktop[server]'"


def _copyable(text: str) -> QWidget:
    edit = QLineEdit(text, readOnly=True)
    edit.setMinimumWidth(360)
    button = QPushButton("Copy")
    button.clicked.connect(lambda: QGuiApplication.clipboard().setText(edit.text()))
    return with_button(edit, button)


class ServerInfoDialog(QDialog):
    """The address and token a remote client needs, each with a copy button."""

    def __init__(self, url: str, token: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Server address")
        form = QFormLayout(self)
        form.addRow("Address", _copyable(url))
        form.addRow("Token", _copyable(token))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class ServerMenu(QMenu):
    def __init__(self, server: RemoteServer | None, parent: QWidget | None = None) -> None:
        super().__init__("&Server", parent)
        self.server = server
        if server is None:
            self.addAction(NOT_INSTALLED).setEnabled(False)
            return
        self.start_action = QAction("&Start server", self, triggered=self.start)
        self.stop_action = QAction("S&top server", self, triggered=self.stop)
        self.info_action = QAction("Show &address and token…", self, triggered=self.show_info)
        self.regenerate_action = QAction("&Regenerate token", self,
                                         triggered=self.regenerate_token)
        self.status_action = QAction(self)
        self.status_action.setEnabled(False)
        add_actions(self, (self.status_action, None, self.start_action, self.stop_action,
                           self.info_action, self.regenerate_action))
        self.refresh()

    def refresh(self) -> None:
        assert self.server is not None
        url = self.server.url
        self.status_action.setText(f"Serving at {url}" if url else "Server stopped")
        self.start_action.setEnabled(url is None)
        self.stop_action.setEnabled(url is not None)
        self.info_action.setEnabled(url is not None)

    def start(self) -> None:
        assert self.server is not None
        try:
            self.server.start()
        except OSError as exc:
            dialogs.show_error(self.parentWidget(), "Server", f"The server did not start: {exc}")
        self.refresh()

    def stop(self) -> None:
        assert self.server is not None
        self.server.stop()
        self.refresh()

    def show_info(self) -> None:
        assert self.server is not None
        if self.server.url:
            ServerInfoDialog(self.server.url, self.server.token, self.parentWidget()).exec()

    def regenerate_token(self) -> None:
        assert self.server is not None
        if dialogs.ask(self.parentWidget(), "Regenerate token",
                       "Clients using the current token will be refused until they get the "
                       "new one. Regenerate it?"):
            self.server.regenerate_token()
            self.show_info()
