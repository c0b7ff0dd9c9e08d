"""Qt's messages reach Python logging under their category, but for the few Pulse causes on
purpose."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import logging, sys
from PySide6.QtCore import QLoggingCategory, qCWarning, qCritical, qWarning
from agent_app.foundation import qt_messages
logging.basicConfig(
    stream=sys.stdout, level=logging.DEBUG, format="%(levelname)s %(name)s %(message)s"
)
qt_messages.install()
qWarning("No QtMultimedia backends found. Only QMediaDevices, QAudioDevice are available.")
resolver = QLoggingCategory("qt.multimedia.symbolsresolver")
qCWarning(resolver, "Couldn't load pipewire-0.3 library")
qCWarning(resolver, "Couldn't resolve pipewire-0.3 symbols")
qWarning("QObject::connect: No such signal")
qCWarning(QLoggingCategory("qt.network.ssl"), "The peer certificate is not trusted")
qCritical("A critical condition")
"""


def test_qt_messages_are_logged_by_category_and_the_expected_ones_dropped() -> None:
    run = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    assert run.stdout.splitlines() == [
        "WARNING qt.default QObject::connect: No such signal",
        "WARNING qt.network.ssl The peer certificate is not trusted",
        "ERROR qt.default A critical condition",
    ]
    assert run.stderr == ""
