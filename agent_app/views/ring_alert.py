"""A ringing call cannot be missed: the window comes forward and the system says so.

The engine rings the ringer device itself (``call_tones``: an offered call that is not
call waiting plays the ringtone until it is answered or ends). This adds what the screen
owes: the window is restored and raised, the taskbar entry flashes until the agent looks
(``QApplication.alert``), and when the window was hidden or minimised a system
notification says "Incoming call" with the caller's number only — never a name or
anything from the patient record. On a locked screen not even the number: "Incoming call".
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication, QSystemTrayIcon, QWidget

from agent_app.workflow.call_session import CallSession

log = logging.getLogger(__name__)

NOTIFICATION_MS = 15_000


class RingAlert(QObject):
    def __init__(
        self, window: QWidget, tray: QSystemTrayIcon | None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent or window)
        self._window = window
        self._tray = tray
        self.notifications: list[tuple[str, str]] = []
        """What was shown as system notifications (title, text), newest last."""

    def ring(self, call: CallSession, *, locked: bool) -> None:
        window = self._window
        was_hidden = not window.isVisible() or window.isMinimized()
        state = window.windowState()
        if state & Qt.WindowState.WindowMinimized:
            window.setWindowState(
                (state & ~Qt.WindowState.WindowMinimized) | Qt.WindowState.WindowActive
            )
        window.show()
        window.raise_()
        window.activateWindow()
        QApplication.alert(window, 0)
        if was_hidden:
            title = self.tr("Incoming call")
            text = "" if locked else (call.number or self.tr("Unknown number"))
            self._notify(title, text)
        log.info("call %s rings: window brought forward", call.call_id)

    def _notify(self, title: str, text: str) -> None:
        self.notifications.append((title, text))
        tray = self._tray
        if tray is None or not QSystemTrayIcon.isSystemTrayAvailable():
            return
        if not tray.isVisible():
            tray.show()
        tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, NOTIFICATION_MS)
