"""A phone whose engine did not start at sign-in can be started again from the window."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from agent_app import app
from agent_app.foundation.config import Settings
from agent_app.store.journal import Journal
from agent_app.telephony import protocol as p
from agent_app.views.desk_phone import DeskPhone
from agent_app.views.main_window import MainWindow
from agent_app.views.phone_retry import PhoneRetryButton
from agent_app.workflow.idle_lock import IdleLock
from testbed.ports import free_port

pytestmark = pytest.mark.integration

WAIT_MS = 30_000


@pytest.mark.allow_log_errors  # the failed start is logged as an error, as it should be
def test_a_failed_engine_start_is_retried_from_the_status_bar(qtbot: QtBot, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.db", "6b" * 32, agent_id="agent7")
    phone = DeskPhone.create(
        account=p.AccountSpec("agent", "agent", "127.0.0.1", register=False),
        config=p.EngineConfig(bind_address="127.0.0.1", local_port=free_port()),
        outbox=journal,
        audit=journal.audit,
        lookup=lambda number: [],
    )
    window = MainWindow(
        "agent7", "Agent Seven", idle_lock=IdleLock(300), authenticate=lambda a, b: None
    )
    qtbot.addWidget(window)
    window.attach_phone(phone)
    app.attach_offline_desk(window, None, phone, Settings())
    retry = window.findChild(PhoneRetryButton)
    assert retry is not None and retry.accessibleName()
    assert phone.engine is not None
    # The first start fails: the program started in the engine's place never answers.
    phone.engine.client._python = "/bin/true"
    try:
        phone.start()
        window.show()
        qtbot.waitUntil(retry.isVisible, timeout=WAIT_MS)
        assert window.status.registration.text() == "Phone: not running"
        assert phone.start_failure

        phone.engine.client._python = sys.executable
        qtbot.mouseClick(retry, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: phone.session.registered, timeout=WAIT_MS)
        assert not retry.isVisible()
        assert window.status.registration.text() == "Phone: ready (direct calls)"
        assert not phone.retry_start()  # nothing to retry now
    finally:
        phone.stop()
        journal.close()
