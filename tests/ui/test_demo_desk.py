"""The demo rings (``make run``): signed in to the demo server as the demo agent, the desk
registers at the demo's real Kamailio as extension 1001; a few seconds later the demo caller (a
real pulse-phone) rings it as a known patient, and each "Demo → Call me again" rings it as the
next of the demo world's cases, with the screen-pop each case is made for. A disposition the
desk sends reaches the demo server, where ``pulse-server dispositions`` lists it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from agent_app import app
from agent_app.demo import DemoServer, start_demo_server
from agent_app.demo.desk import CALL_AGAIN_KEYS, DemoDesk, attach_demo_desk
from agent_app.foundation.config import Settings, SipSettings
from agent_app.store.agent_store import AgentStore
from agent_app.views.main_window import MainWindow
from agent_app.views.patient_panel import PatientPanel
from agent_app.views.sync_relay import DesktopSync
from agent_app.workflow.agent_state import AgentState
from agent_app.workflow.identity_gate import MatchKind
from agent_app.workflow.idle_lock import IdleLock
from server.seed import CAMPAIGNS, did
from testbed.ports import free_port
from testbed.sync_setup import SyncRig, disposition
from tests.ui.desk_rig import DeskRig, ManualClock

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WAIT_MS = 30_000
# What each case is made to show when it rings: the caller-id match and the patient panel's page.
POPS = {
    "known": (MatchKind.ONE, "card"),
    "household": (MatchKind.SEVERAL, "picker"),
    "unknown": (MatchKind.NONE, "search"),
    "spanish": (MatchKind.ONE, "card"),
    "callback": (MatchKind.ONE, "card"),
}


@dataclass
class DemoDeskRig:
    rig: DeskRig
    desk: DemoDesk
    desktop: DesktopSync
    store: AgentStore
    sync: SyncRig

    @property
    def patients(self) -> PatientPanel:
        [panel] = self.rig.window.panels["patientPanel"].findChildren(PatientPanel)
        return panel

    def stop(self) -> None:
        self.rig.phone.stop()
        self.desktop.stop()
        self.sync.api.close()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoServer]:
    started = start_demo_server(tmp_path / "demo")
    try:
        yield started
    finally:
        started.stop()


def _sign_in(qtbot: QtBot, demo: DemoServer, backend: object) -> DemoDeskRig:
    """The desk as ``make run`` builds it after the demo agent signs in (the app's own start-up
    functions), with the demo's menu and caller attached."""
    assert demo.pbx is not None and demo.ringer is not None, demo.pbx_problem
    sync = SyncRig(demo.url, backend)
    result = sync.sign_in(demo.agent, demo.password)
    port = free_port()
    settings = Settings(sip=demo.prepare_phone(SipSettings(local_port=port), sync.secrets))
    clock = ManualClock()
    window = MainWindow(
        result.agent_id,
        result.display_name,
        idle_lock=IdleLock(settings.security.lock_after_idle_s, clock),
        authenticate=sync.authenticator,
    )
    qtbot.addWidget(window)
    desktop = app._start_sync(
        window, sync.api, sync.vault, sync.verifier, sync.secrets, settings, result
    )
    assert desktop is not None, window.status.currentMessage()
    phone = app._start_phone(window, settings, sync.secrets, desktop, None)
    desk = attach_demo_desk(window, phone, demo.ringer, first_call_after_ms=1500)
    assert window.softphone is not None
    rig = DeskRig(
        qtbot, window, phone, window.softphone, desktop.service.store.journal, port, clock
    )
    signed_in = DemoDeskRig(rig, desk, desktop, desktop.service.store, sync)
    try:
        window.show()
        rig.activate()
    except BaseException:
        signed_in.stop()
        raise
    return signed_in


def _rings_as(signed_in: DemoDeskRig, number: str) -> None:
    rig = signed_in.rig
    rig.wait(
        lambda: bool(rig.session.calls) and rig.only_call().number == number,
        f"the demo caller rings from case number {number[-2:]}",
        WAIT_MS,
    )


def _caller_hangs_up(signed_in: DemoDeskRig, demo: DemoServer) -> None:
    """The demo caller gives up; the agent closes the call's after-call work and goes Ready."""
    assert demo.ringer is not None
    rig = signed_in.rig
    demo.ringer.stop()
    rig.wait(lambda: not rig.session.calls, "the call ended")
    for item in rig.session.wrap_ups:
        rig.session.complete_wrap_up(item.call.record_id)
    rig.session.go_ready()
    rig.wait(lambda: rig.session.state is AgentState.READY, "the agent is Ready")


def test_the_demo_rings_the_signed_in_desk_through_every_case(
    qtbot: QtBot, tmp_path: Path, demo: DemoServer, secret_backend: object
) -> None:
    cases = demo.cases
    assert [case.key for case in cases] == list(POPS)
    signed_in = _sign_in(qtbot, demo, secret_backend)
    rig, desk, store = signed_in.rig, signed_in.desk, signed_in.store
    try:
        menu = rig.window.findChild(QMenu, "demoMenu")
        assert menu is not None and desk.call_again in menu.actions()
        # The seeded cases reached the desk's store with the first sync.
        rig.wait(
            lambda: [len(store.caller_lookup(case.number)) for case in cases] == [1, 2, 0, 1, 1],
            "the demo cases are in the desk's store",
            60_000,
        )
        [spanish] = store.caller_lookup(cases[3].number)
        assert spanish.language == "es"

        for index, case in enumerate(cases):
            if index:
                rig.press_keys(CALL_AGAIN_KEYS)
            # The first call comes by itself: the demo puts the signed-in desk Ready for it.
            _rings_as(signed_in, case.number)
            assert case.title in rig.window.statusBar().currentMessage()
            kind, page = POPS[case.key]
            rig.wait(
                lambda kind=kind, page=page: (
                    rig.only_call().match.kind is kind and signed_in.patients.page == page
                ),
                f"the {case.key} case pops {page}",
            )
            if index == len(cases) - 1:
                break
            _caller_hangs_up(signed_in, demo)
        assert demo.ringer is not None and demo.ringer.calls == len(cases)

        # Call me again while a call rings: the next call waits until the agent is Ready.
        rig.press_keys(CALL_AGAIN_KEYS)
        assert desk.waiting
        _caller_hangs_up(signed_in, demo)
        _rings_as(signed_in, cases[0].number)
        rig.press("answer")
        rig.wait(lambda: rig.session.state is AgentState.ON_CALL, "the agent is on the call")
        record_id = rig.only_call().record_id
        rig.press("hangup")
        rig.wait(lambda: not rig.session.calls, "the agent hung up")

        sent = signed_in.desktop.service.enqueue(
            "disposition",
            disposition(record_id, code="CONFIRMED", campaign_id=did("campaign", CAMPAIGNS[0][0])),
            call_id=record_id,
        )
        rig.wait(lambda: store.journal.counts().unsynced == 0, "the disposition was sent")
    finally:
        signed_in.stop()
    listed = subprocess.run(
        [sys.executable, "-m", "server", "dispositions", "--json",
         "--data-dir", str(tmp_path / "demo")],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    items = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(i["id"], i["code"], i["call_id"], i["agent"]) for i in items] == [
        (sent, "CONFIRMED", record_id, "demo")
    ]
