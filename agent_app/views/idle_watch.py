"""Feeds the agent's keyboard and mouse activity to :class:`IdleLock` and polls it.

An application-wide event filter sees input in every window (dialogs included);
a one-second timer asks the lock whether the idle time has run out.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer

from agent_app.workflow.idle_lock import IdleLock

_INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)


class IdleWatch(QObject):
    def __init__(self, lock: IdleLock, parent: QObject | None = None, poll_ms: int = 1000) -> None:
        super().__init__(parent)
        self._lock = lock
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(lock.poll)
        self._timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT_EVENTS:
            self._lock.activity()
        return False
