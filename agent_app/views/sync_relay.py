"""The window's view of sync: status as queued Qt signals, and the system's reachability.

The sync core is plain Python on its own worker thread and never imports Qt.
:class:`SyncStatusRelay` re-emits each status change as a signal, so slots run on the GUI
thread (Electrum's ``QtEventListener`` shape); :class:`NetworkWatcher` feeds
QNetworkInformation's reachability to the tracker and wakes sync when the network returns.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtNetwork import QNetworkInformation

from agent_app.sync.engine import SyncEngine
from agent_app.sync.service import SyncService
from agent_app.sync.status import StatusTracker, SyncStatus

log = logging.getLogger(__name__)


class SyncStatusRelay(QObject):
    status_changed = Signal(object)  # SyncStatus

    def __init__(self, tracker: StatusTracker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.last: SyncStatus = tracker.status
        tracker.subscribe(self._emit)

    def _emit(self, status: SyncStatus) -> None:
        # Called on whatever thread changed the status; the signal crosses to the GUI.
        self.last = status
        self.status_changed.emit(status)


def reachability_online(level: QNetworkInformation.Reachability) -> bool | None:
    """True/False when the OS knows; None when it does not."""
    reach = QNetworkInformation.Reachability
    if level == reach.Disconnected:
        return False
    if level in (reach.Local, reach.Site, reach.Online):
        return True
    return None


class NetworkWatcher(QObject):
    def __init__(
        self, tracker: StatusTracker, engine: SyncEngine, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._tracker = tracker
        self._engine = engine
        self.backend: str | None = None
        loaded = QNetworkInformation.loadBackendByFeatures(QNetworkInformation.Feature.Reachability)
        info = QNetworkInformation.instance() if loaded else None
        if info is None:
            log.info("no network-information backend: connectivity from requests only")
            return
        self.backend = info.backendName()
        info.reachabilityChanged.connect(self._changed)
        self._changed(info.reachability())

    @Slot(QNetworkInformation.Reachability)
    def _changed(self, level: QNetworkInformation.Reachability) -> None:
        online = reachability_online(level)
        log.info("operating system reachability: %s", level.name)
        self._tracker.os_reachability(online)
        if online:
            self._engine.nudge()


class DesktopSync(QObject):
    """A :class:`SyncService` running beside the window: relay, OS watcher, life cycle."""

    def __init__(self, service: SyncService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.relay = SyncStatusRelay(service.tracker, self)
        self.watcher = NetworkWatcher(service.tracker, service.engine, self)

    def start(self) -> None:
        self.service.start()

    def stop(self) -> None:
        """Stop the worker (waits for the round in progress) and close the store."""
        self.service.stop()
        self.service.store.close()
