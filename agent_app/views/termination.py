"""SIGTERM and SIGINT end the desktop app cleanly: the phone, sync and the demo server stop.

Python runs a signal handler only between bytecodes, and Qt's event loop runs none while
it waits; so the C-level handler writes to a socket (``signal.set_wakeup_fd``), a
``QSocketNotifier`` on its other end wakes the loop, and the handler quits every event
loop (the sign-in dialog's included). The ``finally`` blocks of start-up then stop what
was started. SIGKILL runs no code at all: the children's parent-death signal covers it
(:mod:`agent_app.foundation.child_processes`).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
from types import FrameType

from PySide6.QtCore import QCoreApplication, QObject, QSocketNotifier, QTimer, Slot

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class QuitOnSignal(QObject):
    """Install with :meth:`install`; :attr:`received` says whether a signal asked to quit."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.received: int | None = None
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        self._previous: dict[int, object] = {}
        self._previous_fd: int | None = None

    def install(self) -> None:
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        for signum in SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)

    def uninstall(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)  # type: ignore[arg-type]
        self._previous.clear()
        if self._previous_fd is not None:
            signal.set_wakeup_fd(self._previous_fd)
            self._previous_fd = None
        self._notifier.setEnabled(False)
        for end in (self._reader, self._writer):
            end.close()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            log.info("signal %d received: closing Pulse", signum)
        self.received = signum
        QCoreApplication.exit(128 + signum)

    def exec(self, app: QCoreApplication) -> int:
        """``app.exec()``, unless a signal came first (also just before the loop started)."""
        QTimer.singleShot(0, self._recheck)
        return int(app.exec())

    @Slot()
    def _recheck(self) -> None:
        # A signal handled while no loop ran asked an absent loop to quit: ask again.
        if self.received is not None:
            QCoreApplication.exit(128 + self.received)

    @Slot()
    def _drain(self) -> None:
        # The byte woke the loop; Python has run the handler by now.
        with contextlib.suppress(OSError):
            while self._reader.recv(64):
                pass
        self._recheck()
