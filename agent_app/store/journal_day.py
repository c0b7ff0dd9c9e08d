"""What outlives delivery in the journal: the day's facts, and refused entries resolved by a copy.

The outbox deletes an entry once the server acknowledges it, so "My day" would forget every
call sent; when an entry is acknowledged its few countable facts (codes, times, ids; never
notes or field values) are kept as ``day:<created_at>:<id>`` rows of the journal's small
key-value table for :data:`KEEP_DAYS`. A refused entry that the agent corrected stays in the
journal as written (entries are append-only) and gets a ``resolved:<id>`` row naming the
corrected copy, which takes it out of the refused list and the counts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from agent_app.store.connection import Db

DAY_PREFIX = "day:"
RESOLVED_PREFIX = "resolved:"
KEEP_DAYS = 14
"""Long enough for callbacks set this week to show on the day they fall due."""

FACT_FIELDS: Mapping[str, tuple[str, ...]] = {
    "disposition": ("code", "call_id", "campaign_id", "replaces"),
    "callback": ("callback_at", "call_id", "patient_id"),
    "call_record": ("call_id", "direction", "started_at", "answered_at", "ended_at"),
    "agent_state": ("state", "reason", "previous", "previous_reason", "previous_s", "at"),
}
"""Per kind, the payload fields My day reads; other kinds leave nothing behind."""

UNRESOLVED = "NOT EXISTS (SELECT 1 FROM sync_state r WHERE r.key = 'resolved:' || i.id)"
"""SQL condition on ``outbox_items i``: not replaced by a corrected copy."""


@dataclass(frozen=True, slots=True, repr=False)
class DayEntry:
    """One journal entry as My day sees it (``facts``: the kind's :data:`FACT_FIELDS`)."""

    id: str
    kind: str
    created_at: str
    call_id: str | None
    facts: dict[str, Any]
    delivered: bool
    """The server acknowledged it (only its facts are left)."""

    def __repr__(self) -> str:
        return f"DayEntry(id={self.id!r}, kind={self.kind!r}, delivered={self.delivered})"


def _facts(kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    return {name: payload.get(name) for name in FACT_FIELDS[kind] if name in payload}


def _bound(moment: datetime) -> str:
    # Entries carry milliseconds or microseconds; a bound without a fraction sorts before
    # every entry of the same second, so the range stays exact at a second's edge.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def keep_facts(conn: Any, seqs: Iterable[int], *, now: datetime) -> None:
    """Inside the acknowledging transaction: keep the facts of these entries, drop old ones."""
    rows = []
    for seq in seqs:
        found = conn.execute(
            "SELECT id, kind, call_id, created_at, payload FROM outbox_items WHERE seq = ?", (seq,)
        ).fetchone()
        if found is None or found[1] not in FACT_FIELDS:
            continue
        item_id, kind, call_id, created_at, payload = found
        fact = {"kind": kind, "call_id": call_id, "facts": _facts(kind, json.loads(payload))}
        rows.append((f"{DAY_PREFIX}{created_at}:{item_id}", json.dumps(fact)))
    conn.executemany(
        "INSERT INTO sync_state (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        rows,
    )
    cutoff = DAY_PREFIX + _bound(now - timedelta(days=KEEP_DAYS))
    conn.execute("DELETE FROM sync_state WHERE key >= ? AND key < ?", (DAY_PREFIX, cutoff))


def day_entries(db: Db, start: datetime, end: datetime) -> list[DayEntry]:
    """Entries created in [start, end): still in the outbox (not resolved) or kept as facts."""
    low, high = _bound(start), _bound(end)
    kinds = tuple(FACT_FIELDS)
    marks = ", ".join("?" for _ in kinds)
    found: dict[str, DayEntry] = {}
    for item_id, kind, call_id, created_at, payload in db.query(
        "SELECT i.id, i.kind, i.call_id, i.created_at, i.payload FROM outbox_items i "  # noqa: S608
        f"WHERE i.created_at >= ? AND i.created_at < ? AND i.kind IN ({marks}) AND {UNRESOLVED} "
        "ORDER BY i.seq",
        (low, high, *kinds),
    ):
        facts = _facts(kind, json.loads(payload))
        found[item_id] = DayEntry(item_id, kind, created_at, call_id, facts, delivered=False)
    for key, value in db.query(
        "SELECT key, value FROM sync_state WHERE key >= ? AND key < ?",
        (DAY_PREFIX + low, DAY_PREFIX + high),
    ):
        created_at, _, item_id = key[len(DAY_PREFIX) :].rpartition(":")
        kept = json.loads(value)
        found.setdefault(
            item_id,
            DayEntry(
                item_id, kept["kind"], created_at, kept["call_id"], kept["facts"], delivered=True
            ),
        )
    return sorted(found.values(), key=lambda entry: entry.created_at)


def resolution(conn: Any, item_id: str) -> str | None:
    """Inside a transaction: the id of the corrected copy that replaced ``item_id``, if any."""
    row = conn.execute(
        "SELECT value FROM sync_state WHERE key = ?", (RESOLVED_PREFIX + item_id,)
    ).fetchone()
    return None if row is None else str(json.loads(row[0])["by"])


def mark_resolved(conn: Any, item_id: str, by: str, at: str) -> None:
    conn.execute(
        "INSERT INTO sync_state (key, value) VALUES (?, ?)",
        (RESOLVED_PREFIX + item_id, json.dumps({"by": by, "at": at})),
    )
