"""After-call work on a real journal: drafts outlive the desk, a restart brings them back,
and a replayed submit records once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent_app.store.journal import Journal
from agent_app.telephony import protocol as p
from agent_app.workflow.agent_state import AgentState
from agent_app.workflow.disposition import WrapUpWork
from agent_app.workflow.events import WrapUpAdded
from agent_app.workflow.identity import Claim
from agent_app.workflow.identity_gate import Verification
from server.schemas import PAYLOADS
from tests.unit.workflow.fakes import Desk, ServerTime, make_desk, patient
from tests.unit.workflow.test_disposition import CALLER, TOMORROW_AFTERNOON, FakeCache, cache

WRONG = Claim(family_name="Oskarsdottir Lind", birth_date="1961-07-05")


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    opened = Journal(tmp_path / "journal.db", "5a" * 32, agent_id="agent-w")
    yield opened
    opened.close()


def new_desk(journal: Journal, shared: FakeCache, **settings: object) -> Desk:
    d = make_desk(journal=journal, cache=lambda: shared, **settings)
    d.lookup.numbers[CALLER] = ["pat-1"]
    return d


def queued(journal: Journal, kind: str) -> list[dict[str, Any]]:
    rows = journal.db.query("SELECT payload FROM outbox_items WHERE kind = ?", (kind,))
    return [json.loads(r[0]) for r in rows]


def test_an_unfinished_wrap_up_comes_back_with_everything_typed(journal: Journal) -> None:
    shared = cache()
    first = new_desk(journal, shared, wrap_up_limit_s=120)
    first.connect("c1")
    [call] = first.session.calls
    first.session.verify_identity("c1", patient(), WRONG)
    first.end("c1", "remote", 200)
    work = first.session.wrap_up_work(call.record_id)
    assert work is not None
    work.set_code("CALLBACK")
    work.set_field("callback_at", TOMORROW_AFTERNOON)
    work.set_notes("Call after the school run")
    facts = call.facts()
    # The desk is gone (a crash); a new one opens the same journal at sign-in.
    second = new_desk(journal, shared, wrap_up_limit_s=120)
    restored = second.session.restore_wrap_ups(journal.drafts())
    assert [item.record_id for item in restored] == [call.record_id]
    assert any(isinstance(e, WrapUpAdded) for e in second.events)
    assert second.session.state is AgentState.WRAP_UP
    again = second.session.wrap_up_work(call.record_id)
    assert again is not None
    assert (again.code, again.fields, again.notes) == (
        "CALLBACK",
        {"callback_at": TOMORROW_AFTERNOON},
        "Call after the school run",
    )
    back = again.call
    assert back.facts() == facts
    assert (back.patient_id, back.campaign_id, back.number) == ("pat-1", "camp-a", CALLER)
    assert back.identity.state is Verification.UNVERIFIED
    assert back.identity.failed_attempts == 1
    assert again.problems() == {}
    # Restoring twice (a second sign-in in the same run) adds nothing.
    assert second.session.restore_wrap_ups(journal.drafts()) == []
    assert again.submit()
    assert journal.drafts() == {}
    [record] = queued(journal, "disposition")
    assert record["call_id"] == call.record_id and record["notes"] == "Call after the school run"
    PAYLOADS["disposition"].model_validate(record)
    assert len(queued(journal, "callback")) == 1


def test_a_submit_replayed_after_the_record_was_written_records_once(journal: Journal) -> None:
    shared = cache()
    first = new_desk(journal, shared)
    first.connect("c1")
    first.end("c1")
    [item] = first.session.wrap_ups
    work = first.session.wrap_up_work(item.record_id)
    assert work is not None
    work.set_code("CALLBACK")
    work.set_field("callback_at", TOMORROW_AFTERNOON)
    stale = journal.drafts()  # as if the crash came between the write and its effects
    assert work.submit()
    second = new_desk(journal, shared)
    second.session.restore_wrap_ups(stale)
    replay = second.session.wrap_up_work(item.record_id)
    assert isinstance(replay, WrapUpWork)
    assert replay.submit()
    assert len(queued(journal, "disposition")) == 1
    assert len(queued(journal, "callback")) == 1


def test_the_countdown_goes_on_from_the_calls_end(journal: Journal) -> None:
    shared = cache()
    first = new_desk(journal, shared, wrap_up_limit_s=30)
    first.connect("c1")
    first.end("c1")
    later = ServerTime()
    later.readings = 100  # the restart took over a minute
    second = new_desk(journal, shared, wrap_up_limit_s=30, server_now=later)
    second.session.restore_wrap_ups(journal.drafts())
    status = second.session.poll()
    assert status.state is AgentState.NOT_READY
    assert status.reason is not None and status.reason.code == "disposition_pending"


def test_drafts_without_the_calls_facts_or_with_broken_ones_are_left_alone(
    journal: Journal,
) -> None:
    journal.save_draft("live-at-the-crash", "script", {"answers": []})
    journal.save_draft("broken", "call", {"record_id": "broken", "direction": "sideways"})
    d = new_desk(journal, cache())
    assert d.session.restore_wrap_ups(journal.drafts()) == []
    assert d.session.wrap_ups == ()
    assert set(journal.drafts()) == {"live-at-the-crash", "broken"}


def test_a_failed_call_restored_keeps_its_system_code(journal: Journal) -> None:
    shared = cache()
    first = new_desk(journal, shared)
    call = first.session.dial(CALLER)
    assert call is not None
    first.session.handle(p.CallEnded(call.call_id, 486, "Busy Here", "remote"))
    second = new_desk(journal, shared)
    second.session.restore_wrap_ups(journal.drafts())
    work = second.session.wrap_up_work(call.record_id)
    assert work is not None and work.code == "SYS_BUSY"
    assert work.submit()
    [record] = queued(journal, "disposition")
    assert record["code"] == "SYS_BUSY"
    assert record["call"]["sip_code"] == 486
