"""The real desktop app for the lifecycle tests, signing in to its demo server by itself.

Run as ``python -m tests.ui.app_child``: the same entry as ``pulse-agent --demo``, with the
sign-in dialog submitting the demo account it is offered (the one thing a test cannot type
into another process's offscreen window).
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer

from agent_app import cli
from agent_app.views.login_dialog import LoginDialog

_exec = LoginDialog.exec


def _exec_signed_in(self: LoginDialog) -> int:
    QTimer.singleShot(0, self.buttons.accepted.emit)
    return _exec(self)


LoginDialog.exec = _exec_signed_in  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(cli.main(["--demo", *sys.argv[1:]]))
