"""The patient card during a consult: a warm transfer or a conference keeps the card of the
caller it is about, and after a completed transfer the card waits for that caller's
wrap-up, whichever leg the engine reports ended first."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from agent_app.secrets.store import SecretStore
from agent_app.store.agent_store import AgentStore
from agent_app.telephony import protocol as p
from agent_app.views.patient_panel import PatientPanel
from agent_app.workflow.agent_session import AgentSession
from agent_app.workflow.call_session import CallSession
from agent_app.workflow.desk_settings import DeskSettings
from testbed.store_population import campaign_item, patient_items
from tests.unit.workflow.fakes import FakeEngine, ManualClock, ServerTime

ACCOUNT = "agent-sip"
NURSE = "sip:2100@pbx"


@pytest.fixture
def store(secret_backend: object, request: pytest.FixtureRequest) -> Iterator[AgentStore]:
    opened = AgentStore.open(
        agent_id=f"agent-{abs(hash(request.node.nodeid)) % 10**10}",
        workstation_id="ws-desk",
        secrets=SecretStore(secret_backend),  # type: ignore[arg-type]
    )
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def caller(store: AgentStore) -> dict[str, Any]:
    """A synthetic patient whose number is theirs alone."""
    store.cache.apply_snapshot(
        "campaigns", [campaign_item("camp-a")], cursor="c-1", first=True, last=True
    )
    items = list(patient_items(3))
    store.cache.apply_snapshot("patients", items, cursor="p-1", first=True, last=True)
    return items[1]


@pytest.fixture
def desk(store: AgentStore, qtbot: QtBot) -> tuple[AgentSession, PatientPanel]:
    session = AgentSession(
        send=FakeEngine(),
        outbox=store.journal,
        audit=store.journal.audit,
        lookup=lambda number: [r.id for r in store.caller_lookup(number)],
        settings=DeskSettings(account_id=ACCOUNT),
        clock=ManualClock(),
        server_now=ServerTime(),
    )
    session.handle(p.RegistrationChanged(ACCOUNT, "registered", 200))
    session.go_ready()
    panel = PatientPanel(session, store)
    qtbot.addWidget(panel)
    return session, panel


def _consulting(session: AgentSession, number: str) -> tuple[CallSession, CallSession]:
    session.handle(p.IncomingCall("c1", ACCOUNT, number, "", "sip:caller@pbx"))
    assert session.answer("c1")
    session.handle(p.CallStateChanged("c1", "confirmed", 200, "OK"))
    consult = session.dial(NURSE, consult_for="c1")
    assert consult is not None
    session.handle(p.CallStateChanged(consult.call_id, "confirmed", 200, "OK"))
    first = session.call("c1")
    assert first is not None
    return first, consult


@pytest.mark.parametrize("first_ended", ["caller", "consult"])
def test_after_a_warm_transfer_the_card_waits_for_the_callers_wrap_up(
    desk: tuple[AgentSession, PatientPanel], caller: dict[str, Any], first_ended: str
) -> None:
    session, panel = desk
    first, consult = _consulting(session, caller["phones"][0]["number"])
    assert session.active_call is consult
    assert panel.call is first and panel.page == "card", "the nurse is asked about this caller"
    assert panel.call_state.text() == "On hold"
    assert panel.card.greeting.text() == caller["given_name"]

    assert session.attended_transfer("c1", consult.call_id)
    legs: list[tuple[str, p.EndedBy]] = [("c1", "transferred"), (consult.call_id, "remote")]
    for call_id, ended_by in legs if first_ended == "caller" else legs[::-1]:
        session.handle(p.CallEnded(call_id, 200, "Normal", ended_by))
        assert panel.call is first and panel.page == "card"
    assert panel.call_state.text() == "Call ended: wrap-up"
    assert panel.card.read_only_banner.isVisibleTo(panel)

    assert session.complete_wrap_up(first.record_id)
    assert panel.call is None and panel.page == "idle"


def test_a_conference_keeps_the_callers_card(
    desk: tuple[AgentSession, PatientPanel], caller: dict[str, Any]
) -> None:
    session, panel = desk
    first, consult = _consulting(session, caller["phones"][0]["number"])
    assert session.merge("c1", consult.call_id)
    assert panel.call is first and panel.page == "card"
    session.handle(p.CallEnded(consult.call_id, 200, "Normal", "remote"))
    assert panel.call is first and panel.page == "card"
