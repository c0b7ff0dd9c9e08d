"""Schema of the journal (precious: unsynced dispositions, call records, callbacks, audit).

An entry's content (``outbox_items``) is append-only, enforced by triggers in the file
itself: no UPDATE ever, and a DELETE only once its delivery row says the server has
acknowledged it. Delivery state (pending, in flight, parked) lives in a separate table
so that sending and parking never touch the entry.
"""

from __future__ import annotations

from agent_app.store.migrations import Migration, sql_step

KINDS = ("disposition", "call_record", "callback", "audit")

V1 = [
    f"""CREATE TABLE outbox_items (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ({", ".join(repr(k) for k in KINDS)})),
        agent_id TEXT NOT NULL,
        call_id TEXT,
        created_at TEXT NOT NULL,
        payload TEXT NOT NULL
    )""",
    """CREATE TABLE outbox_delivery (
        seq INTEGER PRIMARY KEY REFERENCES outbox_items (seq) ON DELETE CASCADE,
        state TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'parked', 'acknowledged')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_attempt_at TEXT,
        parked_reason TEXT,
        parked_at TEXT
    )""",
    "CREATE INDEX outbox_delivery_by_state ON outbox_delivery (state, seq)",
    """CREATE TRIGGER outbox_items_append_only BEFORE UPDATE ON outbox_items
        BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END""",
    """CREATE TRIGGER outbox_items_delete_after_ack BEFORE DELETE ON outbox_items
        WHEN NOT EXISTS (
            SELECT 1 FROM outbox_delivery d WHERE d.seq = OLD.seq AND d.state = 'acknowledged'
        )
        BEGIN SELECT RAISE(ABORT, 'journal entry not yet acknowledged by the server'); END""",
    """CREATE TRIGGER outbox_delivery_ack_is_final BEFORE UPDATE ON outbox_delivery
        WHEN OLD.state = 'acknowledged'
        BEGIN SELECT RAISE(ABORT, 'an acknowledged entry cannot change state'); END""",
    """CREATE TRIGGER outbox_delivery_delete_after_ack BEFORE DELETE ON outbox_delivery
        WHEN OLD.state <> 'acknowledged'
        BEGIN SELECT RAISE(ABORT, 'journal entry not yet acknowledged by the server'); END""",
    "CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
]

STEPS: list[Migration] = [sql_step(1, "outbox entries, delivery state, sync state", V1)]
