"""The journal's outbox: one transaction per write, in flight / acknowledged / parked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from agent_app.store.errors import InvalidItemError, StoreError
from agent_app.store.journal import Journal
from tests.integration.store.conftest import WORKSTATION, OpenStore

pytestmark = pytest.mark.integration


def _disposition(n: int) -> dict[str, object]:
    return {
        "call_id": f"call-{n}",
        "patient_id": f"pat-{n}",
        "campaign_id": "camp-a",
        "code": "REACHED",
        "fields": {},
        "notes": "",
        "agent_started_at": "2026-01-05T14:00:00Z",
        "agent_ended_at": "2026-01-05T14:03:00Z",
    }


def test_enqueue_send_acknowledge(open_store: OpenStore) -> None:
    journal = open_store().journal
    ids = [journal.enqueue("disposition", _disposition(n), call_id=f"call-{n}") for n in range(5)]
    assert all(uuid.UUID(i).version == 4 for i in ids)
    batch = journal.next_batch(3)
    assert [i.id for i in batch] == ids[:3]
    assert batch[0].intake_item()["payload"] == _disposition(0)
    assert batch[0].attempts == 1
    counts = journal.counts()
    assert (counts.pending, counts.in_flight, counts.parked) == (2, 3, 0)
    assert journal.mark_acknowledged([batch[0].id, batch[1].id, "no-such-id"]) == 2
    assert journal.release([batch[2].id]) == 1
    assert [i.id for i in journal.next_batch(10)] == [ids[2], ids[3], ids[4]]
    assert journal.counts().in_flight == 3


def test_rejected_items_are_parked_visible_and_never_resent(open_store: OpenStore) -> None:
    journal = open_store().journal
    first = journal.enqueue("callback", {"call_id": "c", "patient_id": "p", "callback_at": "x"})
    second = journal.enqueue("audit", {"action": "view", "patient_id": "p", "reason": "r"})
    journal.next_batch(10)
    assert journal.park(first, "422: callback_at is not a datetime")
    journal.mark_acknowledged([second])
    assert journal.next_batch(10) == []
    [parked] = journal.parked()
    assert (parked.id, parked.reason) == (first, "422: callback_at is not a datetime")
    assert journal.counts().unsynced == 1
    assert journal.unpark(first)
    assert [i.id for i in journal.next_batch(10)] == [first]


def test_entries_are_append_only_in_the_file_itself(open_store: OpenStore) -> None:
    journal = open_store().journal
    item = journal.enqueue("disposition", _disposition(1))
    conn = journal.db.conn
    with pytest.raises(Exception, match="append-only"):
        conn.execute("UPDATE outbox_items SET payload = '{}' WHERE id = ?", (item,))
    with pytest.raises(Exception, match="not yet acknowledged"):
        conn.execute("DELETE FROM outbox_items WHERE id = ?", (item,))
    with pytest.raises(Exception, match="not yet acknowledged"):
        conn.execute("DELETE FROM outbox_delivery")
    journal.park(item, "409")
    with pytest.raises(Exception, match="not yet acknowledged"):
        conn.execute("DELETE FROM outbox_items WHERE id = ?", (item,))
    assert journal.counts().parked == 1


def test_bad_entries_raise_named_errors(open_store: OpenStore) -> None:
    journal = open_store().journal
    with pytest.raises(InvalidItemError, match="unknown outbox kind"):
        journal.enqueue("email", {})
    with pytest.raises(InvalidItemError, match="plain JSON"):
        journal.enqueue("disposition", {"at": object()})
    with pytest.raises(InvalidItemError, match="reason"):
        journal.audit("view", patient_id="p", reason=" ")
    assert journal.counts().unsynced == 0


def test_in_flight_entries_are_sent_again_after_a_restart(open_store: OpenStore) -> None:
    store = open_store()
    ids = [store.journal.enqueue("disposition", _disposition(n)) for n in range(3)]
    store.journal.next_batch(2)
    store.close()
    reopened = open_store()
    assert reopened.report.journal_requeued == 2
    assert [i.id for i in reopened.journal.next_batch(10)] == ids


_WRITER = textwrap.dedent(
    """
    import sys
    from agent_app.secrets.store import SecretStore
    from agent_app.store.agent_store import AgentStore
    store = AgentStore.open(agent_id=sys.argv[1], workstation_id=sys.argv[2],
                            secrets=SecretStore(), verify="none")
    print("open", flush=True)
    n = 0
    while True:
        item = store.journal.enqueue("call_record", {"call_id": f"call-{n}", "n": n})
        print("enq", item, flush=True)
        if n % 3 == 0:
            for sent in store.journal.next_batch(2):
                print("flight", sent.id, flush=True)
        if n % 5 == 0:
            batch = store.journal.next_batch(1)
            store.journal.mark_acknowledged([i.id for i in batch])
            for acked in batch:
                print("ack", acked.id, flush=True)
        n += 1
    """
)


def test_sigkill_at_any_moment_loses_no_committed_entry(
    open_store: OpenStore, agent_id: str, pulse_home: Path
) -> None:
    open_store().close()  # provision keys and files first
    for attempt in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRITER, agent_id, WORKSTATION],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])},
        )
        assert proc.stdout is not None
        lines = []
        deadline = time.monotonic() + 60
        while len(lines) < 40 + attempt * 37 and time.monotonic() < deadline:
            lines.append(proc.stdout.readline().split())
        proc.send_signal(signal.SIGKILL)
        rest = proc.stdout.read().splitlines()
        proc.stdout.close()
        proc.wait(timeout=30)
        lines += [line.split() for line in rest]
        enqueued = {p[1] for p in lines if p and p[0] == "enq"}
        acked = {p[1] for p in lines if p and p[0] == "ack"}
        assert len(enqueued) > 10

        store = open_store(verify="full")
        assert store.journal.integrity_problems() == []
        present = set()
        while batch := store.journal.next_batch(500):
            present |= {i.id for i in batch}
            # Everything acknowledged was deleted; everything reported enqueued is there.
        assert enqueued - acked <= present
        assert not (present & acked)
        store.journal.mark_acknowledged(present)
        store.close()


def test_journal_errors_never_quote_keys(open_store: OpenStore, pulse_home: Path) -> None:
    store = open_store()
    path = store.layout.journal
    store.close()
    wrong = "ab" * 32
    with pytest.raises(StoreError) as info:
        Journal(path, wrong, agent_id="a")
    assert wrong not in str(info.value)
    assert "ab" * 4 not in repr(info.value)
