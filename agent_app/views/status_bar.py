"""The main window's status bar: connection, SIP registration and sync at a glance.

Each indicator is a label with a short word and a colour, plus a tooltip with the
detail, so that an agent can tell "offline since 14:02" from "registration failed"
without opening anything.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from agent_app.sync.status import Connection, SyncStatus


class Level(Enum):
    OK = "#1b5e20"
    BUSY = "#8d6e00"
    PROBLEM = "#b00020"
    UNKNOWN = "#555555"


class Indicator(QLabel):
    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._caption = name
        self.show_state("not started", Level.UNKNOWN, "")

    def show_state(self, word: str, level: Level, detail: str) -> None:
        self.setText(f"{self._caption}: {word}")
        self.setStyleSheet(f"color: {level.value}; padding: 0 6px;")
        self.setToolTip(detail)
        self.setAccessibleDescription(f"{self._caption} {word}. {detail}")
        self.level = level


class PulseStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.connection = Indicator("Server", self)
        self.registration = Indicator("Phone", self)
        self.sync = Indicator("Sync", self)
        for indicator in (self.connection, self.registration, self.sync):
            self.addPermanentWidget(indicator)

    @Slot(object)
    def show_sync_status(self, status: SyncStatus) -> None:
        """Paint the connection and sync indicators (a queued slot: runs on the GUI thread)."""
        word, detail = status.connection_text()
        level = {
            Connection.ONLINE: Level.OK,
            Connection.OFFLINE: Level.PROBLEM,
            Connection.SIGNED_OUT: Level.BUSY,
            Connection.REVOKED: Level.PROBLEM,
            Connection.UNKNOWN: Level.UNKNOWN,
        }[status.connection]
        self.connection.show_state(word, level, detail)
        word, detail = status.sync_text()
        if status.parked:
            level = Level.PROBLEM
        elif status.syncing or status.queued:
            level = Level.BUSY
        elif status.last_success is not None:
            level = Level.OK
        else:
            level = Level.UNKNOWN
        self.sync.show_state(word, level, detail)
