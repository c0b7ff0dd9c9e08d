"""Signing in again: the sign-in dialog after an administrator reset the password (a new
password, twice, checked before sending), and the lock-screen prompt when the server ends the
session mid-shift."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from agent_app.sync.login import LoginResult, PasswordChangeNeeded
from agent_app.sync.status import Connection, SyncStatus
from agent_app.views.login_dialog import LoginDialog
from agent_app.views.main_window import MainWindow
from agent_app.workflow.idle_lock import IdleLock

SIGNED_IN = LoginResult(
    agent_id="agent7",
    display_name="Agent Seven",
    role="agent",
    access_token="a",
    refresh_token="r",
    expires_in_s=900,
)


def test_a_reset_password_is_replaced_in_the_sign_in_dialog(qtbot: QtBot) -> None:
    changes: list[tuple[str, str, str]] = []

    def authenticate(agent_id: str, password: str) -> LoginResult:
        raise PasswordChangeNeeded("Your password was reset. Choose a new password to sign in.")

    def change(agent_id: str, password: str, new_password: str) -> LoginResult:
        changes.append((agent_id, password, new_password))
        return SIGNED_IN

    dialog = LoginDialog(authenticate, "https://pulse.invalid", change_password=change)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.new_password.isVisible()

    dialog.agent_id.setText("agent7")
    dialog.password.setText("temporary-1")
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(dialog.new_password.isVisible)
    assert dialog.confirm_password.isVisible()
    assert "choose a new password" in dialog.error.text().lower()
    assert dialog.password.text() == "temporary-1"  # kept for the next step

    for new, confirm, complaint in (
        ("short", "short", "at least 8"),
        ("a-new-password-2", "a-new-password-3", "not the same"),
        ("temporary-1", "temporary-1", "different"),
    ):
        dialog.new_password.setText(new)
        dialog.confirm_password.setText(confirm)
        dialog.buttons.accepted.emit()
        assert complaint in dialog.error.text()
    assert changes == []

    dialog.new_password.setText("a-new-password-2")
    dialog.confirm_password.setText("a-new-password-2")
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(lambda: dialog.result_value is not None)
    assert changes == [("agent7", "temporary-1", "a-new-password-2")]
    assert dialog.result_value == SIGNED_IN
    assert dialog.password.text() == "" and dialog.new_password.text() == ""


def test_the_desk_asks_to_sign_in_again_when_the_server_ends_the_session(
    qtbot: QtBot,
) -> None:
    passwords: list[str] = []

    def authenticate(agent_id: str, password: str) -> LoginResult:
        passwords.append(password)
        return SIGNED_IN

    window = MainWindow("agent7", "Agent Seven", idle_lock=IdleLock(300), authenticate=authenticate)
    qtbot.addWidget(window)
    window.show()
    window.follow_sync_status(SyncStatus(connection=Connection.ONLINE, queued=2))
    assert not window.is_locked

    window.follow_sync_status(SyncStatus(connection=Connection.SIGNED_OUT, queued=2))
    assert window.is_locked
    assert "Sign in again" in window.lock_screen.heading.text()
    assert "queued work is kept" in window.lock_screen.heading.text()

    window.lock_screen.password.setText("agent-pass-1")
    window.lock_screen.button.click()
    qtbot.waitUntil(lambda: not window.is_locked)
    assert passwords == ["agent-pass-1"]
    # The status stays "signed out" until the next round: no second prompt meanwhile.
    window.follow_sync_status(SyncStatus(connection=Connection.SIGNED_OUT, queued=2))
    assert not window.is_locked
    # An inactivity lock later says what it is.
    window.idle_lock.lock()
    assert "Pulse is locked" in window.lock_screen.heading.text()


def test_the_sign_in_prompt_waits_for_the_call_to_end(qtbot: QtBot) -> None:
    idle = IdleLock(300)
    window = MainWindow(
        "agent7", "Agent Seven", idle_lock=idle, authenticate=lambda a, p: SIGNED_IN
    )
    qtbot.addWidget(window)
    idle.set_busy(True)
    window.follow_sync_status(SyncStatus(connection=Connection.SIGNED_OUT))
    assert not window.is_locked
    idle.set_busy(False)
    window.follow_sync_status(SyncStatus(connection=Connection.SIGNED_OUT, queued=1))
    assert window.is_locked
