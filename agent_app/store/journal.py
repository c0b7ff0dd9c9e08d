"""The journal: outbox of unsynced dispositions, call records, callbacks, agent states, audit,
and the drafts of after-call work not yet recorded.

Precious: nothing here can be rebuilt from the server. Every public write is one
transaction with ``synchronous = FULL``, so a crash (even SIGKILL) at any moment leaves
each entry either wholly written or not written at all. An entry may carry an id chosen
by its writer (a disposition's is the call's record id): a second entry with an id already
in the outbox writes nothing, so a double submit or a replay after a crash is recorded
once (until the server acknowledged the first and it was deleted). Delivery goes
pending → in flight → acknowledged (then deleted), or → parked (a 4xx reason, kept and
visible, never retried automatically). Entries left in flight by a crash go back to
pending when the journal is opened, and are sent again: intake is idempotent by id.

The file itself enforces append-only entries (see :mod:`agent_app.store.journal_schema`).
What outlives delivery (the day's facts for My day, refused entries resolved by a corrected
copy) is in :mod:`agent_app.store.journal_day`.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent_app.store import journal_day, journal_schema
from agent_app.store.connection import Db, integrity_problems, open_encrypted
from agent_app.store.errors import InvalidItemError, StoreClosedError
from agent_app.store.migrations import migrate, schema_version
from agent_app.store.records import OutboxCounts, OutboxItem, ParkedItem

KINDS = journal_schema.KINDS
AUDIT_ACTIONS = ("view", "reveal", "search", "verify_identity")
LAST_SERVER_CONTACT = "last_server_contact"
MAX_BATCH = 500  # the intake endpoint's limit
_ITEM_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what the intake endpoint takes
_PART = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
DRAFT_PARTS = ("call", "disposition", "script")
"""The parts of a call's draft the desk writes (others are kept as they are)."""


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class NewEntry:
    """One entry for :meth:`Journal.enqueue_many` (the arguments of :meth:`Journal.enqueue`)."""

    kind: str
    payload: Mapping[str, Any] = field(repr=False)
    item_id: str | None = None
    call_id: str | None = None
    created_at: str | None = None


def _json(what: str, payload: Mapping[str, Any]) -> str:
    try:
        return json.dumps(dict(payload), separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        raise InvalidItemError(f"{what} payload is not plain JSON") from None


class Journal:
    def __init__(self, path: Path, key_hex: str, *, agent_id: str) -> None:
        self.path = path
        self.agent_id = agent_id
        db = Db(open_encrypted(path, key_hex, label="journal", synchronous="FULL"), "journal")
        try:
            self.schema_before, _ = migrate(db, journal_schema.STEPS)
            self.recovered_in_flight = self._requeue_in_flight(db)
        except BaseException:
            db.close()
            raise
        self._db: Db | None = db
        self.clock: Callable[[], str] = utc_now
        """Time stamp of entries that bring none (audit events): the sync layer sets it to the
        server-corrected clock, so the server's record says when by its own clock."""

    @property
    def db(self) -> Db:
        if self._db is None:
            raise StoreClosedError("journal: closed")
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def schema_version(self) -> int:
        return schema_version(self.db)

    def integrity_problems(self) -> list[str]:
        with self.db.lock:
            return integrity_problems(self.db.conn, "journal")

    @staticmethod
    def _requeue_in_flight(db: Db) -> int:
        with db.transaction() as conn:
            cur = conn.execute(
                "UPDATE outbox_delivery SET state = 'pending' WHERE state = 'in_flight'"
            )
            return int(cur.rowcount)

    # -- outbox ------------------------------------------------------------------------

    def enqueue(
        self,
        kind: str,
        payload: Mapping[str, Any],
        *,
        call_id: str | None = None,
        created_at: str | None = None,
        item_id: str | None = None,
    ) -> str:
        """Store one entry for the server; return its id (the server dedupes by it).

        Without ``item_id`` the entry gets a new uuid4. With one, an entry of that id
        already in the outbox means this one was recorded before: nothing is written and
        the id is returned (the first entry stands, whatever this one carries).
        """
        [stored] = self.enqueue_many([NewEntry(kind, payload, item_id, call_id, created_at)])
        return stored

    def enqueue_many(
        self, entries: Sequence[NewEntry], *, drop_draft: str | None = None
    ) -> list[str]:
        """Store several entries and drop one call's draft, all in one transaction.

        Each entry is idempotent by its id as in :meth:`enqueue`; the ids come back in
        order. Either every entry and the draft's removal are written, or nothing is.
        """
        rows = []
        for entry in entries:
            if entry.kind not in KINDS:
                raise InvalidItemError(
                    f"unknown outbox kind {entry.kind!r} (known: {', '.join(KINDS)})"
                )
            if entry.item_id is not None and not _ITEM_ID.match(entry.item_id):
                raise InvalidItemError("an entry id is 1-64 letters, digits, '-' or '_'")
            body = _json(entry.kind, entry.payload)
            rows.append((entry.item_id or str(uuid.uuid4()), entry, body))
        with self.db.transaction() as conn:
            for item_id, entry, body in rows:
                cur = conn.execute(
                    "INSERT INTO outbox_items (id, kind, agent_id, call_id, created_at, payload) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                    (
                        item_id,
                        entry.kind,
                        self.agent_id,
                        entry.call_id,
                        entry.created_at or self.clock(),
                        body,
                    ),
                )
                if cur.rowcount == 1:
                    conn.execute(
                        "INSERT INTO outbox_delivery (seq, state) VALUES (?, 'pending')",
                        (cur.lastrowid,),
                    )
            if drop_draft is not None:
                conn.execute("DELETE FROM drafts WHERE record_id = ?", (drop_draft,))
        return [item_id for item_id, _, _ in rows]

    def audit(self, action: str, *, patient_id: str | None, reason: str, result: str = "ok") -> str:
        """Append an audit event (record view, reveal, search, identity verification)."""
        if action not in AUDIT_ACTIONS:
            raise InvalidItemError(f"unknown audit action {action!r}")
        if not reason.strip():
            raise InvalidItemError("an audit event needs a reason")
        return self.enqueue(
            "audit",
            {"action": action, "patient_id": patient_id, "reason": reason, "result": result},
        )

    def next_batch(self, limit: int = MAX_BATCH) -> list[OutboxItem]:
        """The oldest pending entries, now marked in flight (one transaction)."""
        limit = max(1, min(int(limit), MAX_BATCH))
        now = utc_now()
        with self.db.transaction() as conn:
            rows = conn.execute(
                "SELECT i.seq, i.id, i.kind, i.created_at, i.call_id, i.payload, d.attempts "
                "FROM outbox_delivery d JOIN outbox_items i ON i.seq = d.seq "
                "WHERE d.state = 'pending' ORDER BY d.seq LIMIT ?",
                (limit,),
            ).fetchall()
            conn.executemany(
                "UPDATE outbox_delivery SET state = 'in_flight', attempts = attempts + 1, "
                "last_attempt_at = ? WHERE seq = ?",
                [(now, row[0]) for row in rows],
            )
        return [
            OutboxItem(
                id=row[1],
                kind=row[2],
                created_at=row[3],
                call_id=row[4],
                payload=json.loads(row[5]),
                attempts=int(row[6]) + 1,
            )
            for row in rows
        ]

    def mark_acknowledged(self, ids: Iterable[str]) -> int:
        """The server stored these (201 or 200): delete them; return how many were found."""
        wanted = [(i,) for i in ids]
        with self.db.transaction() as conn:
            seqs = [
                row[0]
                for item in wanted
                for row in conn.execute("SELECT seq FROM outbox_items WHERE id = ?", item)
            ]
            conn.executemany(
                "UPDATE outbox_delivery SET state = 'acknowledged' WHERE seq = ?",
                [(s,) for s in seqs],
            )
            journal_day.keep_facts(conn, seqs, now=datetime.now(UTC))
            conn.executemany("DELETE FROM outbox_items WHERE seq = ?", [(s,) for s in seqs])
        return len(seqs)

    def release(self, ids: Iterable[str]) -> int:
        """Put in-flight entries back to pending (the push failed before an answer)."""
        return self._set_state(ids, "pending", from_states=("in_flight",))

    def park(self, item_id: str, reason: str) -> bool:
        """The server rejected the entry (409, 422): keep it, visible, out of the queue."""
        with self.db.transaction() as conn:
            cur = conn.execute(
                "UPDATE outbox_delivery SET state = 'parked', parked_reason = ?, parked_at = ? "
                "WHERE seq = (SELECT seq FROM outbox_items WHERE id = ?) "
                "AND state IN ('pending', 'in_flight')",
                (reason[:500], utc_now(), item_id),
            )
            return bool(cur.rowcount == 1)

    def unpark(self, item_id: str) -> bool:
        """Queue a parked entry again (after the cause was fixed on the server)."""
        return self._set_state([item_id], "pending", from_states=("parked",)) == 1

    def _set_state(self, ids: Iterable[str], state: str, *, from_states: tuple[str, ...]) -> int:
        marks = ", ".join("?" for _ in from_states)
        with self.db.transaction() as conn:
            before = conn.total_changes
            conn.executemany(
                f"UPDATE outbox_delivery SET state = ? WHERE state IN ({marks}) "  # noqa: S608
                "AND seq = (SELECT seq FROM outbox_items WHERE id = ?)",
                [(state, *from_states, i) for i in ids],
            )
            return int(conn.total_changes - before)

    def parked(self) -> list[ParkedItem]:
        rows = self.db.query(
            "SELECT i.id, i.kind, i.created_at, d.parked_reason, d.parked_at "  # noqa: S608
            "FROM outbox_delivery d JOIN outbox_items i ON i.seq = d.seq "
            f"WHERE d.state = 'parked' AND {journal_day.UNRESOLVED} ORDER BY d.seq"
        )
        return [ParkedItem(*row) for row in rows]

    def entry(self, item_id: str) -> OutboxItem | None:
        """One entry still in the journal (pending, in flight or parked), with its payload."""
        rows = self.db.query(
            "SELECT i.id, i.kind, i.created_at, i.call_id, i.payload, d.attempts "
            "FROM outbox_items i JOIN outbox_delivery d ON d.seq = i.seq WHERE i.id = ?",
            (item_id,),
        )
        if not rows:
            return None
        item_id, kind, created_at, call_id, payload, attempts = rows[0]
        return OutboxItem(item_id, kind, created_at, call_id, json.loads(payload), int(attempts))

    def resend_parked(
        self,
        item_id: str,
        payload: Mapping[str, Any] | None = None,
        *,
        created_at: str | None = None,
    ) -> str | None:
        """Send a refused entry again; return the id that goes out (None: not parked).

        Without ``payload`` the entry itself is queued again (the cause was fixed on the
        server). With one, a corrected copy is appended under a new id, its payload naming
        the entry it replaces (``replaces``), and the refused entry is marked resolved in the
        same transaction; asking twice returns the same copy, so nothing goes out twice.
        """
        with self.db.transaction() as conn:
            replaced_by = journal_day.resolution(conn, item_id)
            if replaced_by is not None:
                return replaced_by
            row = conn.execute(
                "SELECT i.seq, i.kind, i.call_id FROM outbox_items i "
                "JOIN outbox_delivery d ON d.seq = i.seq WHERE i.id = ? AND d.state = 'parked'",
                (item_id,),
            ).fetchone()
            if row is None:
                return None
            seq, kind, call_id = row
            if payload is None:
                conn.execute("UPDATE outbox_delivery SET state = 'pending' WHERE seq = ?", (seq,))
                return item_id
            try:
                body = json.dumps(
                    {**payload, "replaces": item_id}, separators=(",", ":"), allow_nan=False
                )
            except (TypeError, ValueError):
                raise InvalidItemError(f"{kind} payload is not plain JSON") from None
            new_id, at = str(uuid.uuid4()), created_at or self.clock()
            cur = conn.execute(
                "INSERT INTO outbox_items (id, kind, agent_id, call_id, created_at, payload) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (new_id, kind, self.agent_id, call_id, at, body),
            )
            conn.execute(
                "INSERT INTO outbox_delivery (seq, state) VALUES (?, 'pending')", (cur.lastrowid,)
            )
            journal_day.mark_resolved(conn, item_id, new_id, at)
        return new_id

    def day_entries(self, start: datetime, end: datetime) -> list[journal_day.DayEntry]:
        """The entries My day counts, created in [start, end), delivered or not."""
        return journal_day.day_entries(self.db, start, end)

    def counts(self) -> OutboxCounts:
        by_state = dict.fromkeys(("pending", "in_flight", "parked"), 0)
        by_kind: dict[str, int] = {}
        for state, kind, n in self.db.query(
            "SELECT d.state, i.kind, count(*) FROM outbox_delivery d "  # noqa: S608
            "JOIN outbox_items i ON i.seq = d.seq WHERE d.state <> 'parked' OR "
            f"{journal_day.UNRESOLVED} GROUP BY d.state, i.kind"
        ):
            by_state[state] = by_state.get(state, 0) + int(n)
            by_kind[kind] = by_kind.get(kind, 0) + int(n)
        return OutboxCounts(
            pending=by_state["pending"],
            in_flight=by_state["in_flight"],
            parked=by_state["parked"],
            by_kind=by_kind,
        )

    # -- sync state that must survive a cache rebuild -----------------------------------

    def get_state(self, key: str) -> str | None:
        rows = self.db.query("SELECT value FROM sync_state WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_state(self, key: str, value: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO sync_state (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- drafts of after-call work ------------------------------------------------------

    def save_draft(self, record_id: str, part: str, payload: Mapping[str, Any]) -> None:
        """Keep one part of a call's unfinished work ("call", "disposition", "script"),
        replacing that part's previous draft (one transaction, synchronous)."""
        if not record_id or len(record_id) > 64:
            raise InvalidItemError("a draft needs the call's record id")
        if not _PART.match(part):
            raise InvalidItemError(f"not a draft part name: {part!r}")
        body = _json(f"{part} draft", payload)
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO drafts (record_id, part, updated_at, payload) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (record_id, part) DO UPDATE SET "
                "updated_at = excluded.updated_at, payload = excluded.payload",
                (record_id, part, utc_now(), body),
            )

    def drafts(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Every draft: record id → part → payload (oldest call first)."""
        found: dict[str, dict[str, dict[str, Any]]] = {}
        rows = self.db.query(
            "SELECT record_id, part, payload FROM drafts "
            "ORDER BY (SELECT min(d.updated_at) FROM drafts d "
            "WHERE d.record_id = drafts.record_id), record_id, part"
        )
        for record_id, part, body in rows:
            found.setdefault(record_id, {})[part] = json.loads(body)
        return found

    def drop_draft(self, record_id: str) -> None:
        """Forget every part of a call's draft (its disposition is recorded)."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM drafts WHERE record_id = ?", (record_id,))
