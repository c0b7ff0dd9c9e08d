"""The demo rings (``make run``): the demo caller, a real pulse-phone behind the demo's real
Kamailio, rings the desk registered there as extension 1001 a few seconds after its phone
registers, and "Demo → Call me again" rings it as the next case once the agent is Ready."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from agent_app import app
from agent_app.demo import DemoServer, start_demo_server
from agent_app.demo.desk import CALL_AGAIN_KEYS, DemoDesk, attach_demo_desk
from agent_app.foundation.config import SipSettings
from agent_app.secrets.store import SecretStore
from agent_app.store.journal import Journal
from agent_app.telephony import protocol as p
from agent_app.views.desk_phone import DeskPhone
from agent_app.views.main_window import MainWindow
from agent_app.workflow.agent_state import AgentState
from agent_app.workflow.idle_lock import IdleLock
from testbed.ports import free_port
from tests.ui.desk_rig import DeskRig, ManualClock

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WAIT_MS = 30_000


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoServer]:
    started = start_demo_server(tmp_path / "demo")
    try:
        yield started
    finally:
        started.stop()


def _demo_desk(
    qtbot: QtBot, tmp_path: Path, demo: DemoServer, secrets: SecretStore
) -> tuple[DeskRig, DemoDesk]:
    """The desk as the demo session builds it: the [sip] settings pointed at the demo PBX,
    the demo's SIP password in the keyring, the account chosen as the app chooses it."""
    assert demo.pbx is not None and demo.ringer is not None, demo.pbx_problem
    port = free_port()
    sip = demo.prepare_phone(SipSettings(local_port=port), secrets)
    choice = app.choose_phone_account(sip, secrets)
    assert choice.spec is not None and choice.spec.register, choice.problem
    journal = Journal(tmp_path / "journal.db", "6b" * 32, agent_id="demo")
    phone = DeskPhone.create(
        account=choice.spec,
        config=p.EngineConfig(bind_address="127.0.0.1", local_port=port),
        outbox=journal,
        audit=journal.audit,
        lookup=lambda number: [],
    )
    clock = ManualClock()
    window = MainWindow("demo", "Demo Agent", idle_lock=IdleLock(300, clock), authenticate=None)  # type: ignore[arg-type]
    qtbot.addWidget(window)
    panel = window.attach_phone(phone)
    desk = attach_demo_desk(window, phone, demo.ringer, first_call_after_ms=500)
    phone.start()
    rig = DeskRig(qtbot, window, phone, panel, journal, port, clock)
    rig.activate()
    return rig, desk


def test_the_demo_caller_rings_the_desk_then_rings_again_as_the_next_case(
    qtbot: QtBot, tmp_path: Path, demo: DemoServer, secret_backend: object
) -> None:
    secrets = SecretStore(secret_backend)  # type: ignore[arg-type]
    rig, desk = _demo_desk(qtbot, tmp_path, demo, secrets)
    try:
        assert demo.ringer is not None
        cases = demo.cases
        assert [case.key for case in cases] == [
            "known", "household", "unknown", "spanish", "callback",
        ]  # fmt: skip
        menu = rig.window.findChild(QMenu, "demoMenu")
        assert menu is not None and desk.call_again in menu.actions()
        assert desk.call_again.shortcut().toString() == CALL_AGAIN_KEYS

        # Signed in "Not ready (signed in)": the demo puts the desk Ready and rings it.
        rig.wait(lambda: rig.session.calls, "the first demo call rings the desk", WAIT_MS)
        first = rig.only_call()
        assert first.number == cases[0].number
        assert rig.session.state is AgentState.RINGING
        assert cases[0].title in rig.window.statusBar().currentMessage()

        # Asked for again while the desk is busy: the next call waits for Ready.
        rig.press_keys(CALL_AGAIN_KEYS)
        assert desk.waiting
        assert "Ready" in rig.window.statusBar().currentMessage()
        demo.ringer.stop()  # the first caller hangs up
        rig.wait(lambda: not rig.session.calls, "the first call ended")
        for item in rig.session.wrap_ups:
            rig.session.complete_wrap_up(item.call.record_id)
        rig.session.go_ready()

        rig.wait(
            lambda: bool(rig.session.calls) and rig.only_call().number == cases[1].number,
            "the household number rings next",
            WAIT_MS,
        )
        assert not desk.waiting and demo.ringer.calls == 2
        rig.press("answer")
        rig.wait(lambda: rig.session.state is AgentState.ON_CALL, "the agent is on the call")
        rig.press("hangup")
        rig.wait(lambda: not rig.session.calls, "the agent hung up")
    finally:
        rig.phone.stop()
        rig.journal.close()
    process = demo.ringer.process if demo.ringer is not None else None
    demo.stop()
    assert process is None or process.poll() is not None
