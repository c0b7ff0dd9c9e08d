"""The real desktop app (``pulse-agent``) signing in by itself, for the benchmarks.

Run as ``python -m testbed.desk_app``: the same entry as ``python -m agent_app``, with two
things done that a benchmark cannot type into another process's offscreen window: once the
sign-in dialog is up it enters the agent and password from ``DESK_APP_AGENT`` and
``DESK_APP_PASSWORD`` and presses Sign in (timing mark ``sign_in``, just before), and once
the phone takes calls it sets the agent Ready (mark ``agent_ready``), as the agent would.
Marks go where ``PULSE_TIMING_PROBE`` says (:mod:`agent_app.views.timing_probe`).
"""

from __future__ import annotations

import os
import sys

from agent_app.foundation import qt_compat

# As pulse-agent does before it imports its views (cli.main): the views below come after it.
qt_compat.apply()

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from agent_app import cli  # noqa: E402
from agent_app.views import timing_probe  # noqa: E402
from agent_app.views.login_dialog import LoginDialog  # noqa: E402
from agent_app.views.main_window import MainWindow  # noqa: E402

AGENT_ENV = "DESK_APP_AGENT"
PASSWORD_ENV = "DESK_APP_PASSWORD"
POLL_MS = 20

_exec = LoginDialog.exec


def _sign_in(dialog: LoginDialog) -> None:
    dialog.agent_id.setText(os.environ[AGENT_ENV])
    dialog.password.setText(os.environ[PASSWORD_ENV])
    timing_probe.mark("sign_in")
    dialog.buttons.accepted.emit()


def _exec_signing_in(self: LoginDialog) -> int:
    # Pressed from the dialog's own event loop, once it is up (as a person would).
    QTimer.singleShot(0, lambda: _sign_in(self))
    result = _exec(self)
    if result == LoginDialog.DialogCode.Accepted:
        _go_ready_when_registered()
    return result


def _go_ready_when_registered() -> None:
    app = QApplication.instance()
    timer = QTimer(app)

    def check() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        phone = windows[0].phone if windows else None
        if phone is not None and phone.session.registered:
            timer.stop()
            if phone.session.go_ready():
                timing_probe.mark("agent_ready")

    timer.timeout.connect(check)
    timer.start(POLL_MS)


LoginDialog.exec = _exec_signing_in  # type: ignore[method-assign, assignment]

if __name__ == "__main__":
    sys.exit(cli.main(sys.argv[1:]))
