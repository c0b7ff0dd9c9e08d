"""The sign-in dialog: agent id and password, checked off the UI thread.

The dialog knows nothing of HTTP: it is given an ``authenticate`` callable that
raises :class:`agent_app.sync.login.LoginError` with a message fit for the agent. When the
answer is that an administrator reset the password, the dialog asks for a new one (twice)
and signs in through ``change_password``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Slot
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QWidget

from agent_app.sync.login import LoginError, LoginResult, PasswordChangeNeeded
from agent_app.sync.version_policy import UpdateRequired
from agent_app.views.background import BackgroundRunner
from agent_app.views.forms import child, load_form

log = logging.getLogger(__name__)

Authenticate = Callable[[str, str], LoginResult]
ChangePassword = Callable[[str, str, str], LoginResult]
_MIN_NEW_PASSWORD = 8


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
        self,
        authenticate: Authenticate,
        server_url: str,
        parent: QWidget | None = None,
        *,
        change_password: ChangePassword | None = None,
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
        self.new_password = child(form, QLineEdit, "newPassword")
        self.confirm_password = child(form, QLineEdit, "confirmPassword")
        self._new_password_rows = (
            self.new_password,
            self.confirm_password,
            child(form, QLabel, "newPasswordLabel"),
            child(form, QLabel, "confirmPasswordLabel"),
        )
        for widget in self._new_password_rows:
            widget.hide()
        self.error = child(form, QLabel, "errorLabel")
        self.buttons = child(form, QDialogButtonBox, "buttons")
        child(form, QLabel, "serverLabel").setText(self.tr("Server: {url}").format(url=server_url))
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        self._authenticate = authenticate
        self._change_password = change_password
        self._changing = False
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
        if self._changing and self._change_password is not None:
            self._submit_new_password(agent_id, password)
            return
        self.buttons.setEnabled(False)
        self.error.hide()
        self._runner.run(
            lambda: self._authenticate(agent_id, password),
            self._on_success,
            self._on_error,
        )

    def _submit_new_password(self, agent_id: str, password: str) -> None:
        new = self.new_password.text()
        if len(new) < _MIN_NEW_PASSWORD:
            self._on_failure(self.tr("The new password needs at least 8 characters."))
            return
        if new != self.confirm_password.text():
            self._on_failure(self.tr("The two new passwords are not the same."))
            return
        if new == password:
            self._on_failure(self.tr("Choose a password different from the one you were given."))
            return
        change = self._change_password
        assert change is not None
        self.buttons.setEnabled(False)
        self.error.hide()
        self._runner.run(lambda: change(agent_id, password, new), self._on_success, self._on_error)

    def _ask_for_new_password(self, message: str) -> None:
        """The password was right but must be replaced: show the two new-password fields and
        keep what was typed, so the next OK sends all three."""
        self._changing = True
        for widget in self._new_password_rows:
            widget.show()
        self.buttons.setEnabled(True)
        self.error.setText(message)
        self.error.show()
        self.new_password.setFocus()

    def _on_success(self, result: LoginResult) -> None:
        self.password.clear()
        self.new_password.clear()
        self.confirm_password.clear()
        self.result_value = result
        self.accept()

    def _on_error(self, exc: Exception) -> None:
        if isinstance(exc, PasswordChangeNeeded) and self._change_password is not None:
            self._ask_for_new_password(login_error_text(exc))
            return
        if isinstance(exc, LoginError):
            self._on_failure(login_error_text(exc))
            return
        log.error("sign-in failed unexpectedly: %s", type(exc).__name__)
        self._on_failure(self.tr("Sign-in failed unexpectedly; the log has the details for IT."))

    def _on_failure(self, message: str) -> None:
        self.buttons.setEnabled(True)
        if not self._changing:
            self.password.clear()
        self.new_password.clear()
        self.confirm_password.clear()
        self.error.setText(message)
        self.error.show()
