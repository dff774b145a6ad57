"""The Server menu: start/stop the embedded HTTP server and hand its address and token out.

The server itself is a ``RemoteServer`` given to the window by the composition root, so this
module never imports ``server/``; without one the menu says how to get it.
"""

from __future__ import annotations

from collections.abc import Callable

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
    """``server`` is the server, or a function that builds it: then it is built on first use,
    because building it loads FastAPI, which the window's start-up must not wait for."""

    def __init__(self, server: RemoteServer | Callable[[], RemoteServer] | None,
                 parent: QWidget | None = None) -> None:
        super().__init__("&Server", parent)
        self._build = server if callable(server) else None
        self._server = None if callable(server) else server
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

    @property
    def url(self) -> str | None:
        return self._server.url if self._server is not None else None

    def _built(self) -> RemoteServer | None:
        if self._server is None and self._build is not None:
            try:
                self._server = self._build()
            except (ImportError, OSError) as exc:
                dialogs.show_error(self.parentWidget(), "Server",
                                   f"The server could not be set up: {exc}")
        return self._server

    def refresh(self) -> None:
        url = self.url
        self.status_action.setText(f"Serving at {url}" if url else "Server stopped")
        self.start_action.setEnabled(url is None)
        self.stop_action.setEnabled(url is not None)
        self.info_action.setEnabled(url is not None)

    def start(self) -> None:
        server = self._built()
        if server is None:
            return
        try:
            server.start()
        except OSError as exc:
            dialogs.show_error(self.parentWidget(), "Server", f"The server did not start: {exc}")
        self.refresh()

    def stop(self) -> None:
        self.stop_serving()
        self.refresh()

    def stop_serving(self) -> None:
        """Stop the server if it runs (also when the window closes)."""
        if self._server is not None and self._server.url:
            self._server.stop()

    def show_info(self) -> None:
        server = self._server
        if server is not None and server.url:
            ServerInfoDialog(server.url, server.token, self.parentWidget()).exec()

    def regenerate_token(self) -> None:
        server = self._built()
        if server is not None and dialogs.ask(
                self.parentWidget(), "Regenerate token",
                "Clients using the current token will be refused until they get the new one. "
                "Regenerate it?"):
            server.regenerate_token()
            self.show_info()
