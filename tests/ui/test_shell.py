"""The window shell: sign-in off the UI thread, then the main window with disabled panels."""

from __future__ import annotations

import threading

import pytest
from pytestqt.qtbot import QtBot

from agent_app.sync.login import LoginError, LoginResult
from agent_app.views.login_dialog import LoginDialog
from agent_app.views.main_window import PANELS, MainWindow
from agent_app.workflow.idle_lock import IdleLock


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


class ManualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _window(
    qtbot: QtBot, authenticate: object = None, clock: ManualClock | None = None
) -> MainWindow:
    def refuse(agent_id: str, password: str) -> LoginResult:
        raise LoginError("Agent ID or password is not correct.")

    window = MainWindow(
        "agent7",
        "Agent Seven",
        idle_lock=IdleLock(300, clock or ManualClock()),
        authenticate=authenticate or refuse,  # type: ignore[arg-type]
    )
    qtbot.addWidget(window)
    return window


def test_main_window_has_disabled_empty_panels_and_indicators(qtbot: QtBot) -> None:
    window = _window(qtbot)
    window.show()
    for name in PANELS:
        panel = window.panels[name]
        assert not panel.isEnabled()
        assert panel.children() == [] or all(not hasattr(c, "text") for c in panel.children())
    assert window.status.connection.text().startswith("Server:")
    assert window.status.registration.text().startswith("Phone:")
    assert window.status.sync.text().startswith("Sync:")


def test_idle_time_locks_the_screen_and_the_password_unlocks_it(qtbot: QtBot) -> None:
    clock = ManualClock()
    attempts: list[str] = []

    def authenticate(agent_id: str, password: str) -> LoginResult:
        attempts.append(agent_id)
        if password != "right":
            raise LoginError("Agent ID or password is not correct.")
        return _result()

    window = _window(qtbot, authenticate, clock)
    window.show()
    assert not window.is_locked
    clock.now += 301
    qtbot.waitUntil(lambda: window.is_locked, timeout=5000)  # the 1 s poll timer locks it
    assert not window.lock_screen.isHidden()
    assert window.work_area.isHidden(), "no panel stays visible behind the lock"

    window.lock_screen.password.setText("wrong")
    window.lock_screen.button.click()
    qtbot.waitUntil(lambda: window.lock_screen.error.text() != "", timeout=5000)
    assert window.is_locked

    window.lock_screen.password.setText("right")
    with qtbot.waitSignal(window.lock_screen.unlocked, timeout=5000):
        window.lock_screen.button.click()
    assert not window.is_locked
    assert attempts == ["agent7", "agent7"], "unlock re-authenticates the signed-in agent only"


def test_keyboard_activity_keeps_the_screen_unlocked(qtbot: QtBot) -> None:
    from PySide6.QtCore import Qt

    clock = ManualClock()
    window = _window(qtbot, clock=clock)
    window.show()
    for _ in range(5):
        clock.now += 200
        qtbot.keyClick(window, Qt.Key.Key_Shift)
        window.idle_lock.poll()
    assert not window.is_locked
