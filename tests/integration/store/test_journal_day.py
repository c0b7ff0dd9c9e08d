"""What outlives delivery: the day's facts after the server acknowledged them, and refused
entries corrected by a copy that names them (once, however often the agent asks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent_app.store.journal import Journal
from tests.integration.store.conftest import OpenStore

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)


def _disposition(call: str, code: str = "REACHED", notes: str = "") -> dict[str, object]:
    return {
        "call_id": call,
        "patient_id": None,
        "campaign_id": "camp-a",
        "code": code,
        "fields": {"callback_at": "2026-01-05T15:00:00Z"},
        "notes": notes,
        "agent_started_at": "2026-01-05T14:00:00Z",
        "agent_ended_at": "2026-01-05T14:03:00Z",
    }


def _today(journal: Journal) -> dict[str, tuple[str, bool]]:
    entries = journal.day_entries(NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    return {e.id: (e.kind, e.delivered) for e in entries}


def test_acknowledged_entries_leave_their_facts_without_notes(open_store: OpenStore) -> None:
    journal = open_store().journal
    sent = journal.enqueue("disposition", _disposition("rec-1", notes="said something"))
    waiting = journal.enqueue("disposition", _disposition("rec-2", code="NO_ANSWER"))
    audit = journal.audit("view", patient_id="p-1", reason="screen-pop")
    journal.next_batch(10)
    journal.mark_acknowledged([sent, audit])
    journal.release([waiting])

    assert _today(journal) == {sent: ("disposition", True), waiting: ("disposition", False)}
    [kept] = [e for e in journal.day_entries(NOW - timedelta(1), NOW + timedelta(1)) if e.delivered]
    assert kept.facts == {"code": "REACHED", "call_id": "rec-1", "campaign_id": "camp-a"}
    assert "said something" not in repr(kept) + str(kept.facts)
    # Outside the range: nothing.
    assert journal.day_entries(NOW + timedelta(hours=2), NOW + timedelta(hours=3)) == []


def test_facts_survive_reopening_and_old_ones_are_dropped(open_store: OpenStore) -> None:
    store = open_store()
    journal = store.journal
    old_day = (NOW - timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    old = journal.enqueue(
        "agent_state", {"state": "ready", "previous": "wrap_up"}, created_at=old_day
    )
    journal.next_batch(10)
    journal.mark_acknowledged([old])
    assert journal.day_entries(NOW - timedelta(days=21), NOW) == []  # older than kept

    new = journal.enqueue("agent_state", {"state": "ready", "previous": "wrap_up", "previous_s": 4})
    journal.next_batch(10)
    journal.mark_acknowledged([new])
    store.close()
    reopened = open_store().journal
    assert [e.id for e in reopened.day_entries(NOW - timedelta(days=21), NOW + timedelta(1))] == [
        new
    ]


def test_a_corrected_copy_replaces_the_refused_entry_once(open_store: OpenStore) -> None:
    journal = open_store().journal
    refused = journal.enqueue("disposition", _disposition("rec-3", code="NOPE"), call_id="rec-3")
    journal.next_batch(10)
    journal.park(refused, "422: payload.code: unknown code")
    assert [p.id for p in journal.parked()] == [refused]

    fixed = _disposition("rec-3", code="REACHED", notes="corrected")
    copy = journal.resend_parked(refused, fixed)
    assert copy is not None and copy != refused
    assert journal.resend_parked(refused, fixed) == copy  # a second click: the same copy
    assert journal.parked() == []
    counts = journal.counts()
    assert (counts.pending, counts.parked) == (1, 0)

    [item] = journal.next_batch(10)
    assert item.id == copy and item.call_id == "rec-3"
    assert item.payload == {**fixed, "replaces": refused}
    # The refused entry is still there, as written (append-only), and resolved.
    kept = journal.entry(refused)
    assert kept is not None and kept.payload["code"] == "NOPE"
    assert _today(journal) == {copy: ("disposition", False)}


def test_resending_unchanged_queues_the_entry_itself(open_store: OpenStore) -> None:
    journal = open_store().journal
    refused = journal.enqueue("callback", {"call_id": "c", "patient_id": "p", "callback_at": "x"})
    journal.next_batch(10)
    journal.park(refused, "409: stored before with different content")
    assert journal.resend_parked(refused) == refused
    assert journal.resend_parked(refused) is None  # no longer parked: nothing to do
    assert [i.id for i in journal.next_batch(10)] == [refused]
    assert journal.resend_parked("no-such-id", {"x": 1}) is None
