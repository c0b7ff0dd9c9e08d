"""Qt's own messages (its warnings and errors) into Python logging, under their category
(``qt.network.ssl``; ``qt.default`` for Qt's uncategorised ones).

Without a handler Qt writes them to standard error, which a desk started from its shortcut
does not have; through logging they reach the log file, redacted like every other line. The
few that Pulse causes on purpose, and that would only send whoever reads the log on a
search, are dropped (:data:`EXPECTED`).
"""

from __future__ import annotations

import atexit
import logging
from typing import Final

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

EXPECTED: Final = (
    # The engine loads no Qt Multimedia plugin: its audio devices, sinks and sources need none.
    "No QtMultimedia backends found.",
    # Qt Multimedia looks for PipeWire before it takes PulseAudio.
    "Couldn't load pipewire-0.3 library",
    "Couldn't resolve pipewire-0.3 symbols",
)

_LEVELS: Final = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def handle(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Qt's message handler: one log record per message, unless it is expected."""
    if message.startswith(EXPECTED):
        return
    category = context.category or "default"
    name = category if category.startswith("qt.") else f"qt.{category}"
    logging.getLogger(name).log(_LEVELS.get(kind, logging.WARNING), "%s", message)


def install() -> None:
    """Route this process's Qt messages through :func:`handle` from now on, until the
    interpreter exits (a Qt thread may still have something to say while Python shuts down:
    it then goes to standard error, as without a handler)."""
    qInstallMessageHandler(handle)
    atexit.register(qInstallMessageHandler, None)
