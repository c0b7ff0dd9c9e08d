"""The lock screen that covers every panel after inactivity.

It shows no patient data, only who is signed in, and asks for the password again;
the check runs off the UI thread through the same ``authenticate`` callable as the
sign-in dialog. Calls in progress go on behind it. A call that rings while the screen
is locked shows as "Incoming call" and nothing else (no number, no name): unlocking is
the one step between the agent and the call.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QWidget

from agent_app.sync.login import LoginError, LoginResult
from agent_app.views.background import BackgroundRunner
from agent_app.views.forms import child, load_form
from agent_app.views.login_dialog import Authenticate, login_error_text

log = logging.getLogger(__name__)


class LockScreen(QWidget):
    unlocked = Signal(object)  # LoginResult of the re-authentication

    def __init__(
        self, agent_id: str, authenticate: Authenticate, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("lockScreen")
        form = load_form("lock_screen.ui", self)
        self._agent_id = agent_id
        self._authenticate = authenticate
        self._runner = BackgroundRunner(self)
        self.password = child(form, QLineEdit, "password")
        self.button = child(form, QPushButton, "unlockButton")
        self.error = child(form, QLabel, "errorLabel")
        self.incoming = child(form, QLabel, "incomingLabel")
        self.incoming.hide()
        self.heading = child(form, QLabel, "lockedLabel")
        self.show_sign_in_needed(False)
        self.button.clicked.connect(self._submit)
        self.password.returnPressed.connect(self._submit)

    def show_sign_in_needed(self, needed: bool) -> None:
        """Say why the screen is locked: inactivity, or the server ending the session (then
        the queued work waits for the password; nothing is lost)."""
        if needed:
            title = self.tr("Sign in again")
            text = self.tr(
                "The server ended your session. Enter your password to continue as agent "
                "{agent}; your queued work is kept and sent once you are signed in."
            )
        else:
            title = self.tr("Pulse is locked")
            text = self.tr("Signed in as agent {agent}. Enter your password to continue.")
        body = text.format(agent=self._agent_id)
        self.heading.setText("<h2>{}</h2>{}".format(title, body))  # noqa: UP032 (markup, not text)

    def show_incoming_call(self, ringing: bool) -> None:
        """A call rings (or stopped ringing) behind the lock."""
        self.incoming.setVisible(ringing)
        self.incoming.setAccessibleDescription(self.tr("Unlock to answer") if ringing else "")

    def reset(self) -> None:
        self.password.clear()
        self.error.clear()
        self.button.setEnabled(True)
        self.password.setFocus()

    def _submit(self) -> None:
        password = self.password.text()
        if not password:
            self.error.setText(self.tr("Enter your password."))
            return
        self.button.setEnabled(False)
        agent_id = self._agent_id
        self._runner.run(
            lambda: self._authenticate(agent_id, password), self._on_done, self._on_error
        )

    def _on_done(self, result: LoginResult) -> None:
        self.password.clear()
        self.button.setEnabled(True)
        self.unlocked.emit(result)

    def _on_error(self, exc: Exception) -> None:
        self.password.clear()
        self.button.setEnabled(True)
        if isinstance(exc, LoginError):
            self.error.setText(login_error_text(exc))
        else:
            log.error("unlock failed unexpectedly: %s", type(exc).__name__)
            self.error.setText(
                self.tr("Unlock failed unexpectedly; the log has the details for IT.")
            )
