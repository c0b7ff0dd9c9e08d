"""The sign-in dialog: agent id and password, checked off the UI thread.

The dialog knows nothing of HTTP: it is given an ``authenticate`` callable that
raises :class:`agent_app.sync.login.LoginError` with a message fit for the agent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Slot
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QWidget

from agent_app.sync.login import LoginError, LoginResult
from agent_app.sync.version_policy import UpdateRequired
from agent_app.views.background import BackgroundRunner
from agent_app.views.forms import child, load_form

log = logging.getLogger(__name__)

Authenticate = Callable[[str, str], LoginResult]


def login_error_text(exc: LoginError) -> str:
    """The refusal in the desk's language (the sync layer's fixed messages are catalogued
    under "LoginError"; one with details in it is shown as given)."""
    if isinstance(exc, UpdateRequired):
        return QCoreApplication.translate(
            "LoginError",
            "Update required: this server needs Pulse {minimum} or later (you have {current}).",
        ).format(minimum=exc.minimum, current=exc.current)
    return QCoreApplication.translate("LoginError", str(exc))


class LoginDialog(QDialog):
    def __init__(
        self, authenticate: Authenticate, server_url: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("loginDialog")
        self.setWindowTitle(self.tr("Pulse — sign in"))
        form = load_form("login_dialog.ui", self)
        if (layout := form.layout()) is not None:
            layout.setContentsMargins(18, 18, 18, 18)
        self.setMinimumWidth(420)
        self.agent_id = child(form, QLineEdit, "agentId")
        self.password = child(form, QLineEdit, "password")
        self.error = child(form, QLabel, "errorLabel")
        self.buttons = child(form, QDialogButtonBox, "buttons")
        child(form, QLabel, "serverLabel").setText(self.tr("Server: {url}").format(url=server_url))
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        self._authenticate = authenticate
        self._runner = BackgroundRunner(self)
        self.result_value: LoginResult | None = None
        self.error.hide()

    def offer_demo_account(self, agent_id: str, password: str) -> None:
        """Fill in the synthetic demo account and say that this is the demo."""
        self.agent_id.setText(agent_id)
        self.password.setText(password)
        self.setWindowTitle(self.tr("Pulse — sign in (demo: synthetic data only)"))

    @Slot()
    def _submit(self) -> None:
        agent_id = self.agent_id.text().strip()
        password = self.password.text()
        if not agent_id or not password:
            self._on_failure(self.tr("Enter your agent ID and password."))
            return
        self.buttons.setEnabled(False)
        self.error.hide()
        self._runner.run(
            lambda: self._authenticate(agent_id, password),
            self._on_success,
            self._on_error,
        )

    def _on_success(self, result: LoginResult) -> None:
        self.password.clear()
        self.result_value = result
        self.accept()

    def _on_error(self, exc: Exception) -> None:
        if isinstance(exc, LoginError):
            self._on_failure(login_error_text(exc))
            return
        log.error("sign-in failed unexpectedly: %s", type(exc).__name__)
        self._on_failure(self.tr("Sign-in failed unexpectedly; the log has the details for IT."))

    def _on_failure(self, message: str) -> None:
        self.buttons.setEnabled(True)
        self.password.clear()
        self.error.setText(message)
        self.error.show()
