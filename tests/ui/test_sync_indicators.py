"""Sync in the window: status from the worker thread reaches the status bar through queued
signals; the OS reachability watcher; sign-in falling back to offline and saying so."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QObject, QThread, Slot
from pytestqt.qtbot import QtBot

from agent_app.secrets.store import SecretStore
from agent_app.sync.api import ServerApi
from agent_app.sync.auth_client import ServerAuthenticator
from agent_app.sync.login import LoginResult
from agent_app.sync.offline_login import OfflineVerifier
from agent_app.sync.status import StatusTracker, SyncStatus
from agent_app.views.login_dialog import LoginDialog
from agent_app.views.status_bar import Level, PulseStatusBar
from agent_app.views.sync_relay import NetworkWatcher, SyncStatusRelay
from testbed.ports import free_port


class ThreadProbe(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.threads: list[bool] = []

    @Slot(object)
    def seen(self, status: SyncStatus) -> None:
        self.threads.append(QThread.currentThread() is self.thread())


def test_status_from_the_worker_thread_paints_the_indicators(qtbot: QtBot) -> None:
    tracker = StatusTracker()
    relay = SyncStatusRelay(tracker)
    bar = PulseStatusBar()
    qtbot.addWidget(bar)
    probe = ThreadProbe()
    relay.status_changed.connect(bar.show_sync_status)
    relay.status_changed.connect(probe.seen)

    def worker() -> None:
        tracker.counts(4, 0)
        tracker.lost_server("timed out")

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: "offline" in bar.connection.text(), timeout=5000)
    assert bar.connection.level is Level.PROBLEM
    assert "Offline since" in bar.connection.toolTip()
    assert bar.sync.text() == "Sync: 4 queued" and bar.sync.level is Level.BUSY
    assert probe.threads and all(probe.threads)  # every slot ran on the GUI thread

    tracker.reached_server()
    tracker.counts(0, 0)
    tracker.synced()
    qtbot.waitUntil(lambda: bar.sync.text() == "Sync: up to date", timeout=5000)
    assert bar.connection.text() == "Server: online" and bar.sync.level is Level.OK


def test_os_reachability_reaches_the_tracker_and_wakes_the_engine(qtbot: QtBot) -> None:
    class Engine:
        nudges = 0

        def nudge(self) -> None:
            self.nudges += 1

    tracker = StatusTracker()
    engine = Engine()
    watcher = NetworkWatcher(tracker, engine)  # type: ignore[arg-type]
    if watcher.backend is None:
        pytest.skip("no QNetworkInformation backend on this machine")
    assert tracker.status.os_online is not None
    if tracker.status.os_online:
        assert engine.nudges == 1


def test_unreachable_server_signs_in_offline_and_says_so(
    qtbot: QtBot, secret_backend: object
) -> None:
    secrets = SecretStore(secret_backend)  # type: ignore[arg-type]
    verifier = OfflineVerifier(secrets, hours=12)
    verifier.remember(LoginResult("agent7", "Agent Seven", "agent", "a", "r", 900), "pw-0101")
    api = ServerApi(f"http://127.0.0.1:{free_port()}", device_id="d", timeout_s=2)
    dialog = LoginDialog(ServerAuthenticator(api, verifier=verifier), api.base_url)
    qtbot.addWidget(dialog)

    dialog.agent_id.setText("agent8")
    dialog.password.setText("pw-0101")
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(lambda: dialog.error.isVisibleTo(dialog), timeout=10000)
    assert dialog.error.text().startswith("Offline:")

    dialog.agent_id.setText("agent7")
    dialog.password.setText("pw-0101")
    with qtbot.waitSignal(dialog.accepted, timeout=10000):
        dialog.buttons.accepted.emit()
    assert dialog.result_value is not None and dialog.result_value.offline
    api.close()
