"""The window shell: sign-in off the UI thread, then the main window with disabled panels."""

from __future__ import annotations

import threading

import pytest
from pytestqt.qtbot import QtBot

from agent_app.auth import LoginError, LoginResult
from agent_app.views.login_dialog import LoginDialog
from agent_app.views.main_window import PANELS, MainWindow


def _result() -> LoginResult:
    return LoginResult("agent7", "Agent Seven", "agent", "a", "r", 900)


def test_login_success_runs_off_the_ui_thread(qtbot: QtBot) -> None:
    seen: list[tuple[str, str, bool]] = []

    def authenticate(agent_id: str, password: str) -> LoginResult:
        seen.append((agent_id, password, threading.current_thread() is threading.main_thread()))
        return _result()

    dialog = LoginDialog(authenticate, "http://127.0.0.1:1")
    qtbot.addWidget(dialog)
    dialog.agent_id.setText("agent7")
    dialog.password.setText("pw")
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.buttons.accepted.emit()
    assert seen == [("agent7", "pw", False)]
    assert dialog.result_value is not None and dialog.result_value.agent_id == "agent7"
    assert dialog.password.text() == ""


def test_login_failure_shows_the_message_and_allows_retry(qtbot: QtBot) -> None:
    def authenticate(agent_id: str, password: str) -> LoginResult:
        raise LoginError("Agent ID or password is not correct.")

    dialog = LoginDialog(authenticate, "http://127.0.0.1:1")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.agent_id.setText("agent7")
    dialog.password.setText("wrong")
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(dialog.error.isVisible, timeout=5000)
    assert dialog.error.text() == "Agent ID or password is not correct."
    assert dialog.buttons.isEnabled()
    assert dialog.result() == 0


def test_empty_fields_are_refused_without_calling_the_server(qtbot: QtBot) -> None:
    def authenticate(agent_id: str, password: str) -> LoginResult:
        pytest.fail("must not be called")

    dialog = LoginDialog(authenticate, "http://127.0.0.1:1")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.buttons.accepted.emit()
    assert "Enter your agent ID" in dialog.error.text()


def test_main_window_has_disabled_empty_panels_and_indicators(qtbot: QtBot) -> None:
    window = MainWindow("Agent Seven")
    qtbot.addWidget(window)
    window.show()
    for name in PANELS:
        panel = window.panels[name]
        assert not panel.isEnabled()
        assert panel.children() == [] or all(not hasattr(c, "text") for c in panel.children())
    assert window.status.connection.text().startswith("Server:")
    assert window.status.registration.text().startswith("Phone:")
    assert window.status.sync.text().startswith("Sync:")
