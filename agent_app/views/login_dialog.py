"""The sign-in dialog: agent id and password, checked off the UI thread.

The dialog knows nothing of HTTP: it is given an ``authenticate`` callable that
raises :class:`agent_app.auth.LoginError` with a message fit for the agent.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QWidget

from agent_app.auth import LoginError, LoginResult
from agent_app.views.forms import child, load_form

Authenticate = Callable[[str, str], LoginResult]


class _Relay(QObject):
    succeeded = Signal(object)
    failed = Signal(str)


class _LoginTask(QRunnable):
    def __init__(
        self, authenticate: Authenticate, agent_id: str, password: str, relay: _Relay
    ) -> None:
        super().__init__()
        self._authenticate = authenticate
        self._agent_id = agent_id
        self._password = password
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._authenticate(self._agent_id, self._password)
        except LoginError as exc:
            self._relay.failed.emit(str(exc))
        else:
            self._relay.succeeded.emit(result)


class LoginDialog(QDialog):
    def __init__(
        self, authenticate: Authenticate, server_url: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("loginDialog")
        self.setWindowTitle("Pulse — sign in")
        form = load_form("login_dialog.ui", self)
        if (layout := form.layout()) is not None:
            layout.setContentsMargins(18, 18, 18, 18)
        self.setMinimumWidth(420)
        self.agent_id = child(form, QLineEdit, "agentId")
        self.password = child(form, QLineEdit, "password")
        self.error = child(form, QLabel, "errorLabel")
        self.buttons = child(form, QDialogButtonBox, "buttons")
        child(form, QLabel, "serverLabel").setText(f"Server: {server_url}")
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        self._authenticate = authenticate
        self._relay = _Relay(self)
        self._relay.succeeded.connect(self._on_success)
        self._relay.failed.connect(self._on_failure)
        self.result_value: LoginResult | None = None
        self.error.hide()

    def offer_demo_account(self, agent_id: str, password: str) -> None:
        """Fill in the synthetic demo account and say that this is the demo."""
        self.agent_id.setText(agent_id)
        self.password.setText(password)
        self.setWindowTitle("Pulse — sign in (demo: synthetic data only)")

    @Slot()
    def _submit(self) -> None:
        agent_id = self.agent_id.text().strip()
        password = self.password.text()
        if not agent_id or not password:
            self._on_failure("Enter your agent ID and password.")
            return
        self.buttons.setEnabled(False)
        self.error.hide()
        QThreadPool.globalInstance().start(
            _LoginTask(self._authenticate, agent_id, password, self._relay)
        )

    @Slot(object)
    def _on_success(self, result: LoginResult) -> None:
        self.password.clear()
        self.result_value = result
        self.accept()

    @Slot(str)
    def _on_failure(self, message: str) -> None:
        self.buttons.setEnabled(True)
        self.password.clear()
        self.error.setText(message)
        self.error.show()
