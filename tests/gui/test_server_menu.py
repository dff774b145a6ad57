"""The Server menu drives whatever RemoteServer the window is given (a small double here)."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLineEdit, QPushButton

from ambientpose_desktop.gui import server_menu
from ambientpose_desktop.gui.server_menu import NOT_INSTALLED


class FakeServer:
    """Just enough of runner.protocol.RemoteServer to be driven by the menu."""

    def __init__(self, port_taken: bool = False) -> None:
        self.url: str | None = None
        self.token = "token-1"
        self.port_taken = port_taken

    def start(self, host: str = "127.0.0.1", port: int = 8765) -> str:
        if self.port_taken:
            raise OSError(f"port {port} is already in use")
        self.url = f"http://{host}:{port}"
        return self.url

    def stop(self) -> None:
        self.url = None

    def regenerate_token(self) -> str:
        self.token = "token-2"
        return self.token


def test_without_server_the_menu_says_how_to_get_it(make_window):
    window = make_window(paused=True)
    actions = window.server_menu.actions()
    assert [a.text() for a in actions] == [NOT_INSTALLED]
    assert not actions[0].isEnabled()


def test_start_show_regenerate_stop(make_window, qtbot, monkeypatch, answered):
    server = FakeServer()
    window = make_window(server=server, paused=True)
    menu = window.server_menu
    assert menu.status_action.text() == "Server stopped" and not menu.stop_action.isEnabled()
    shown = []

    def capture(dialog):
        fields = dialog.findChildren(QLineEdit)
        shown.append([f.text() for f in fields])
        dialog.findChildren(QPushButton)[1].click()  # the token's Copy button

    monkeypatch.setattr(server_menu.ServerInfoDialog, "exec", capture)
    menu.start_action.trigger()
    assert menu.status_action.text() == "Serving at http://127.0.0.1:8765"
    assert menu.stop_action.isEnabled() and not menu.start_action.isEnabled()
    menu.info_action.trigger()
    assert shown[-1] == ["http://127.0.0.1:8765", "token-1"]
    assert QGuiApplication.clipboard().text() == "token-1"
    menu.regenerate_action.trigger()
    assert server.token == "token-2" and shown[-1][1] == "token-2"
    menu.stop_action.trigger()
    assert server.url is None and menu.start_action.isEnabled()


def test_start_failure_is_reported(make_window, answered):
    window = make_window(server=FakeServer(port_taken=True), paused=True)
    window.server_menu.start_action.trigger()
    assert answered.errors and "port 8765 is already in use" in answered.errors[0][1]
    assert window.server_menu.status_action.text() == "Server stopped"


def test_server_is_built_on_first_start_and_stopped_with_the_window(make_window, answered):
    built: list[FakeServer] = []

    def build() -> FakeServer:
        built.append(FakeServer())
        return built[-1]

    window = make_window(server=build, paused=True)
    assert built == [] and window.server_menu.status_action.text() == "Server stopped"
    window.server_menu.start_action.trigger()
    assert len(built) == 1 and built[0].url == "http://127.0.0.1:8765"
    window.close()
    assert built[0].url is None
