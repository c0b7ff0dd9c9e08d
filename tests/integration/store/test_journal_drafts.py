"""Drafts of after-call work and entries idempotent by id, on the real encrypted journal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from agent_app.store.errors import InvalidItemError
from agent_app.store.journal import NewEntry
from tests.integration.store.conftest import WORKSTATION, OpenStore

pytestmark = pytest.mark.integration

RECORD = "0d7a1f4e-3b7c-4f0e-9c1a-5e2b8d6f4a10"


def _disposition(record_id: str, notes: str = "") -> dict[str, object]:
    return {
        "call_id": record_id,
        "patient_id": "pat-1",
        "campaign_id": "camp-a",
        "code": "CALLBACK",
        "fields": {"callback_at": "2026-03-03T15:00:00Z"},
        "notes": notes,
        "agent_started_at": "2026-03-02T14:00:00Z",
        "agent_ended_at": "2026-03-02T14:04:30Z",
    }


def test_drafts_are_replaced_per_part_and_dropped_per_call(open_store: OpenStore) -> None:
    journal = open_store().journal
    assert journal.drafts() == {}
    journal.save_draft(RECORD, "call", {"record_id": RECORD, "direction": "inbound"})
    journal.save_draft(RECORD, "disposition", {"code": "CALLBACK", "notes": "first"})
    journal.save_draft(RECORD, "disposition", {"code": "CALLBACK", "notes": "second"})
    journal.save_draft("other-record", "script", {"answers": []})
    assert journal.drafts() == {
        RECORD: {
            "call": {"record_id": RECORD, "direction": "inbound"},
            "disposition": {"code": "CALLBACK", "notes": "second"},
        },
        "other-record": {"script": {"answers": []}},
    }
    journal.drop_draft(RECORD)
    assert list(journal.drafts()) == ["other-record"]
    # Drafts are work in progress, never entries for the server.
    assert journal.counts().unsynced == 0


def test_bad_drafts_raise_named_errors(open_store: OpenStore) -> None:
    journal = open_store().journal
    with pytest.raises(InvalidItemError, match="plain JSON"):
        journal.save_draft(RECORD, "disposition", {"at": object()})
    with pytest.raises(InvalidItemError, match="part"):
        journal.save_draft(RECORD, "Disposition; DROP", {})
    with pytest.raises(InvalidItemError, match="record id"):
        journal.save_draft("", "call", {})
    assert journal.drafts() == {}


def test_drafts_survive_a_restart(open_store: OpenStore) -> None:
    store = open_store()
    store.journal.save_draft(RECORD, "disposition", {"notes": "typed before the crash"})
    store.close()
    assert open_store().journal.drafts() == {
        RECORD: {"disposition": {"notes": "typed before the crash"}}
    }


def test_an_entry_with_a_known_id_is_recorded_once(open_store: OpenStore) -> None:
    journal = open_store().journal
    first = journal.enqueue("disposition", _disposition(RECORD, "one"), item_id=RECORD)
    again = journal.enqueue("disposition", _disposition(RECORD, "two"), item_id=RECORD)
    assert first == again == RECORD
    [item] = journal.next_batch(10)
    assert (item.id, item.payload["notes"]) == (RECORD, "one")  # the first one stands
    # Still in flight (or parked): the id is taken, nothing new is queued.
    journal.enqueue("disposition", _disposition(RECORD, "three"), item_id=RECORD)
    assert journal.counts().unsynced == 1
    with pytest.raises(InvalidItemError, match="entry id"):
        journal.enqueue("disposition", _disposition(RECORD), item_id="not an id!")


def test_enqueue_many_is_one_transaction_with_the_drafts_removal(open_store: OpenStore) -> None:
    journal = open_store().journal
    journal.save_draft(RECORD, "disposition", {"code": "CALLBACK"})
    entries = [
        NewEntry("disposition", _disposition(RECORD), RECORD, RECORD),
        NewEntry("callback", {"call_id": RECORD}, "cb-" + RECORD[:20], RECORD),
        NewEntry("email", {}),  # unknown kind: nothing at all is written
    ]
    with pytest.raises(InvalidItemError, match="unknown outbox kind"):
        journal.enqueue_many(entries, drop_draft=RECORD)
    assert journal.counts().unsynced == 0
    assert RECORD in journal.drafts()

    ids = journal.enqueue_many(entries[:2], drop_draft=RECORD)
    assert ids == [RECORD, "cb-" + RECORD[:20]]
    assert journal.drafts() == {}
    # A double submit: the same ids, nothing new.
    assert journal.enqueue_many(entries[:2], drop_draft=RECORD) == ids
    counts = journal.counts()
    assert (counts.pending, counts.by_kind) == (2, {"disposition": 1, "callback": 1})


_WRITER = textwrap.dedent(
    """
    import sys
    from agent_app.secrets.store import SecretStore
    from agent_app.store.agent_store import AgentStore
    from agent_app.store.journal import NewEntry
    store = AgentStore.open(agent_id=sys.argv[1], workstation_id=sys.argv[2],
                            secrets=SecretStore(), verify="none")
    journal = store.journal
    run = sys.argv[3]
    print("open", flush=True)
    k = 0
    while True:
        record = f"rec{run}-{k}"
        for n in range(4):
            journal.save_draft(record, "disposition", {"n": n, "notes": "note " * (n + 1)})
            print("saved", k, n, flush=True)
        entries = [
            NewEntry("disposition", {"call_id": record, "n": 3}, record, record),
            NewEntry("callback", {"call_id": record}, f"cb{run}-{k}", record),
        ]
        journal.enqueue_many(entries, drop_draft=record)
        print("submitted", k, flush=True)
        k += 1
    """
)


def test_sigkill_mid_write_leaves_each_submit_whole_and_replays_once(
    open_store: OpenStore, agent_id: str, pulse_home: Path
) -> None:
    open_store().close()  # provision keys and files first
    for attempt in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRITER, agent_id, WORKSTATION, str(attempt)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])},
        )
        assert proc.stdout is not None
        lines: list[list[str]] = []
        deadline = time.monotonic() + 60
        while len(lines) < 30 + attempt * 23 and time.monotonic() < deadline:
            lines.append(proc.stdout.readline().split())
        proc.send_signal(signal.SIGKILL)
        rest = proc.stdout.read().splitlines()
        proc.stdout.close()
        proc.wait(timeout=30)
        lines += [line.split() for line in rest]
        submitted = {int(p[1]) for p in lines if p and p[0] == "submitted"}
        saved: dict[int, int] = {}
        for p in lines:
            if p and p[0] == "saved":
                saved[int(p[1])] = max(saved.get(int(p[1]), -1), int(p[2]))
        assert submitted

        store = open_store(verify="full")
        journal = store.journal
        assert journal.integrity_problems() == []
        drafts = journal.drafts()
        ids = {row[0] for row in journal.db.query("SELECT id FROM outbox_items")}
        # A draft may be written and the process killed before it said so.
        seen = set(saved) | {int(r.split("-")[1]) for r in drafts if r.startswith(f"rec{attempt}-")}
        for k in seen:
            record, callback = f"rec{attempt}-{k}", f"cb{attempt}-{k}"
            whole = {record, callback} <= ids and record not in drafts
            untouched = not {record, callback} & ids
            assert whole or untouched  # never half a submit
            if k in submitted:
                assert whole
            elif untouched and k in saved:
                # Every draft reported saved is there (a later one may be too).
                assert drafts[record]["disposition"]["n"] >= saved[k]
        # A replay after the crash (the desk submits what it restored) records nothing new.
        before = journal.counts().unsynced
        for k in seen:
            record = f"rec{attempt}-{k}"
            journal.enqueue_many(
                [
                    NewEntry("disposition", {"call_id": record, "n": 3}, record, record),
                    NewEntry("callback", {"call_id": record}, f"cb{attempt}-{k}", record),
                ],
                drop_draft=record,
            )
        added = journal.counts().unsynced - before
        assert added == 2 * sum(1 for k in seen if f"rec{attempt}-{k}" not in ids)
        assert journal.drafts() == {}
        store.close()
