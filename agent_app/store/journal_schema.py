"""Schema of the journal (precious: unsynced dispositions, call records, callbacks, audit,
agent state changes, and the drafts of unfinished after-call work).

An entry's content (``outbox_items``) is append-only, enforced by triggers in the file
itself: no UPDATE ever, and a DELETE only once its delivery row says the server has
acknowledged it. Delivery state (pending, in flight, parked) lives in a separate table
so that sending and parking never touch the entry. Drafts (version 3) are the one mutable
table: what the agent typed for a call not yet disposed, one row per call and part, gone
when the disposition is recorded.
"""

from __future__ import annotations

from agent_app.store.migrations import Migration, sql_step

V1_KINDS = ("disposition", "call_record", "callback", "audit")
KINDS = (*V1_KINDS, "agent_state")


def _items_table(kinds: tuple[str, ...]) -> str:
    return f"""CREATE TABLE outbox_items (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ({", ".join(repr(k) for k in kinds)})),
        agent_id TEXT NOT NULL,
        call_id TEXT,
        created_at TEXT NOT NULL,
        payload TEXT NOT NULL
    )"""


V1 = [
    _items_table(V1_KINDS),
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

_DELIVERY_TABLE, _DELIVERY_INDEX, *_GUARDS = V1[1:7]
_GUARD_NAMES = (
    "outbox_items_append_only",
    "outbox_items_delete_after_ack",
    "outbox_delivery_ack_is_final",
    "outbox_delivery_delete_after_ack",
)

# SQLite cannot alter a CHECK constraint: both outbox tables are rebuilt in the step's one
# transaction. The guarding triggers go first (they would refuse the clean-up of the old
# rows), rows keep their sequence numbers and delivery state, and the AUTOINCREMENT
# high-water mark carries over, so no sequence number is ever given out twice.
V2 = [
    *(f"DROP TRIGGER {name}" for name in _GUARD_NAMES),
    "ALTER TABLE outbox_delivery RENAME TO outbox_delivery_v1",
    "ALTER TABLE outbox_items RENAME TO outbox_items_v1",
    _items_table(KINDS),
    _DELIVERY_TABLE,
    "INSERT INTO outbox_items (seq, id, kind, agent_id, call_id, created_at, payload) "
    "SELECT seq, id, kind, agent_id, call_id, created_at, payload FROM outbox_items_v1",
    "INSERT INTO outbox_delivery (seq, state, attempts, last_attempt_at, parked_reason, "
    "parked_at) SELECT seq, state, attempts, last_attempt_at, parked_reason, parked_at "
    "FROM outbox_delivery_v1",
    "DELETE FROM sqlite_sequence WHERE name = 'outbox_items'",
    "UPDATE sqlite_sequence SET name = 'outbox_items' WHERE name = 'outbox_items_v1'",
    "DROP TABLE outbox_delivery_v1",
    "DROP TABLE outbox_items_v1",
    _DELIVERY_INDEX,
    *_GUARDS,
]

# IF NOT EXISTS: a file whose version number was set back (a repair) takes the step again.
V3 = [
    """CREATE TABLE IF NOT EXISTS drafts (
        record_id TEXT NOT NULL,
        part TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        payload TEXT NOT NULL,
        PRIMARY KEY (record_id, part)
    ) WITHOUT ROWID""",
]

STEPS: list[Migration] = [
    sql_step(1, "outbox entries, delivery state, sync state", V1),
    sql_step(2, "agent state changes in the outbox", V2),
    sql_step(3, "drafts of unfinished after-call work", V3),
]
