"""The window after sign-in: the store opens, sync runs on its worker, the bar shows it."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from agent_app import app
from agent_app.foundation.config import Settings
from agent_app.views.main_window import MainWindow
from agent_app.workflow.idle_lock import IdleLock
from testbed.sync_server import AGENT, AGENT_PASSWORD, RealServer
from testbed.sync_setup import SyncRig

pytestmark = pytest.mark.integration


def test_online_sign_in_starts_sync_and_paints_the_bar(
    qtbot: QtBot, server: RealServer, secret_backend: object
) -> None:
    rig = SyncRig(server.url, secret_backend, enrolment_code=server.enrolment_code())
    result = rig.sign_in(AGENT, AGENT_PASSWORD)
    window = MainWindow(
        result.agent_id,
        result.display_name,
        idle_lock=IdleLock(300),
        authenticate=rig.authenticator,
    )
    qtbot.addWidget(window)
    desktop = app._start_sync(
        window, rig.api, rig.vault, rig.verifier, rig.secrets, Settings(), result
    )
    assert desktop is not None
    try:
        qtbot.waitUntil(lambda: window.status.sync.text() == "Sync: up to date", timeout=30000)
        assert window.status.connection.text() == "Server: online"
        assert desktop.service.store.cache.counts()["patients"] > 0
        desktop.service.enqueue("disposition", {"call_id": "c1"}, call_id="c1")
        qtbot.waitUntil(lambda: "refused" in window.status.sync.text(), timeout=30000)
    finally:
        desktop.stop()
        rig.api.close()


def test_offline_sign_in_says_offline(
    qtbot: QtBot, server: RealServer, secret_backend: object
) -> None:
    rig = SyncRig(server.url, secret_backend, enrolment_code=server.enrolment_code())
    rig.sign_in(AGENT, AGENT_PASSWORD)
    server.stop()
    result = rig.sign_in(AGENT, AGENT_PASSWORD)
    assert result.offline
    window = MainWindow(
        result.agent_id,
        result.display_name,
        idle_lock=IdleLock(300),
        authenticate=rig.authenticator,
    )
    qtbot.addWidget(window)
    desktop = app._start_sync(
        window, rig.api, rig.vault, rig.verifier, rig.secrets, Settings(), result
    )
    assert desktop is not None
    try:
        assert "OFFLINE" in window.status.currentMessage()
        qtbot.waitUntil(lambda: window.status.connection.text() == "Server: offline", timeout=5000)
    finally:
        desktop.stop()
        rig.api.close()
