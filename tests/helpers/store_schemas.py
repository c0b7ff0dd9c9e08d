"""Every released schema of the store files, frozen, with a builder that fills each one.

A migration test opens a file built at each historical version and checks that the
current code brings it forward without losing a row. When a migration step is added,
freeze the then-current schema here as a new version with its builder; never edit a
frozen one (it stands for files already on workstations).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlcipher3

CACHE_V1 = [
    "CREATE TABLE patients (id TEXT PRIMARY KEY, mrn TEXT NOT NULL, given_name TEXT NOT NULL, "
    "family_name TEXT NOT NULL, given_key TEXT NOT NULL, family_key TEXT NOT NULL, "
    "birth_date TEXT NOT NULL, language TEXT NOT NULL, time_zone TEXT NOT NULL, "
    "consent_calls INTEGER NOT NULL, do_not_call INTEGER NOT NULL, care_program TEXT, "
    "phones TEXT NOT NULL, campaign_ids TEXT NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE patient_phones (e164 TEXT NOT NULL, patient_id TEXT NOT NULL, "
    "PRIMARY KEY (e164, patient_id)) WITHOUT ROWID",
    "CREATE TABLE patient_campaigns (patient_id TEXT NOT NULL, campaign_id TEXT NOT NULL, "
    "PRIMARY KEY (patient_id, campaign_id)) WITHOUT ROWID",
    "CREATE TABLE documents (feed TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, "
    "body TEXT NOT NULL, PRIMARY KEY (feed, id)) WITHOUT ROWID",
    "CREATE TABLE patients_next (id TEXT PRIMARY KEY, mrn TEXT NOT NULL, "
    "given_name TEXT NOT NULL, family_name TEXT NOT NULL, given_key TEXT NOT NULL, "
    "family_key TEXT NOT NULL, birth_date TEXT NOT NULL, language TEXT NOT NULL, "
    "time_zone TEXT NOT NULL, consent_calls INTEGER NOT NULL, do_not_call INTEGER NOT NULL, "
    "care_program TEXT, phones TEXT NOT NULL, campaign_ids TEXT NOT NULL, "
    "version INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE patient_phones_next (e164 TEXT NOT NULL, patient_id TEXT NOT NULL, "
    "PRIMARY KEY (e164, patient_id)) WITHOUT ROWID",
    "CREATE TABLE patient_campaigns_next (patient_id TEXT NOT NULL, "
    "campaign_id TEXT NOT NULL, PRIMARY KEY (patient_id, campaign_id)) WITHOUT ROWID",
    "CREATE TABLE documents_next (feed TEXT NOT NULL, id TEXT NOT NULL, "
    "version INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (feed, id)) WITHOUT ROWID",
    "CREATE INDEX patient_phones_by_patient ON patient_phones (patient_id)",
    "CREATE INDEX patients_by_mrn ON patients (mrn)",
    "CREATE INDEX patients_by_name_dob ON patients (family_key, birth_date, given_key)",
    "CREATE INDEX patient_campaigns_by_campaign ON patient_campaigns (campaign_id)",
    "CREATE TABLE feed_state (feed TEXT PRIMARY KEY, cursor TEXT, snapshot_cursor TEXT, "
    "snapshot_pages INTEGER NOT NULL DEFAULT 0, snapshot_direct INTEGER NOT NULL DEFAULT 0, "
    "last_sync_at TEXT) WITHOUT ROWID",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
]

_PATIENTS_V2 = (
    "(pk INTEGER PRIMARY KEY, id TEXT NOT NULL, mrn TEXT NOT NULL, given_name TEXT NOT NULL, "
    "family_name TEXT NOT NULL, given_key TEXT NOT NULL, family_key TEXT NOT NULL, "
    "birth_date TEXT NOT NULL, language TEXT NOT NULL, time_zone TEXT NOT NULL, "
    "consent_calls INTEGER NOT NULL, do_not_call INTEGER NOT NULL, care_program TEXT, "
    "phones TEXT NOT NULL, campaign_ids TEXT NOT NULL, version INTEGER NOT NULL)"
)
CACHE_V2 = [
    "CREATE TABLE documents (feed TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, "
    "body TEXT NOT NULL, PRIMARY KEY (feed, id)) WITHOUT ROWID",
    "CREATE TABLE documents_next (feed TEXT NOT NULL, id TEXT NOT NULL, "
    "version INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (feed, id)) WITHOUT ROWID",
    "CREATE TABLE feed_state (feed TEXT PRIMARY KEY, cursor TEXT, snapshot_cursor TEXT, "
    "snapshot_pages INTEGER NOT NULL DEFAULT 0, snapshot_direct INTEGER NOT NULL DEFAULT 0, "
    "last_sync_at TEXT) WITHOUT ROWID",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    'CREATE TABLE "patients" ' + _PATIENTS_V2,
    'CREATE TABLE "patient_phones" (e164 INTEGER NOT NULL, pk INTEGER NOT NULL, '
    "PRIMARY KEY (e164, pk)) WITHOUT ROWID",
    "CREATE TABLE assigned_campaigns (campaign_id TEXT PRIMARY KEY) WITHOUT ROWID",
    "CREATE UNIQUE INDEX patients_by_id ON patients (id)",
    'CREATE TABLE "patients_next" ' + _PATIENTS_V2,
    'CREATE TABLE "patient_phones_next" (e164 INTEGER NOT NULL, pk INTEGER NOT NULL, '
    "PRIMARY KEY (e164, pk)) WITHOUT ROWID",
    "CREATE TABLE assigned_campaigns_next (campaign_id TEXT PRIMARY KEY) WITHOUT ROWID",
    "CREATE UNIQUE INDEX patients_next_by_id ON patients_next (id)",
    "CREATE INDEX patients_by_mrn ON patients (mrn)",
    "CREATE INDEX patients_by_name_dob ON patients (family_key, birth_date, given_key)",
]

JOURNAL_V1 = [
    "CREATE TABLE outbox_items (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, "
    "kind TEXT NOT NULL CHECK (kind IN ('disposition', 'call_record', 'callback', 'audit')), "
    "agent_id TEXT NOT NULL, call_id TEXT, created_at TEXT NOT NULL, payload TEXT NOT NULL)",
    "CREATE TABLE outbox_delivery (seq INTEGER PRIMARY KEY REFERENCES outbox_items (seq) "
    "ON DELETE CASCADE, state TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', "
    "'parked', 'acknowledged')), attempts INTEGER NOT NULL DEFAULT 0, last_attempt_at TEXT, "
    "parked_reason TEXT, parked_at TEXT)",
    "CREATE INDEX outbox_delivery_by_state ON outbox_delivery (state, seq)",
    "CREATE TRIGGER outbox_items_append_only BEFORE UPDATE ON outbox_items "
    "BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END",
    "CREATE TRIGGER outbox_items_delete_after_ack BEFORE DELETE ON outbox_items "
    "WHEN NOT EXISTS ( SELECT 1 FROM outbox_delivery d WHERE d.seq = OLD.seq "
    "AND d.state = 'acknowledged' ) "
    "BEGIN SELECT RAISE(ABORT, 'journal entry not yet acknowledged by the server'); END",
    "CREATE TRIGGER outbox_delivery_ack_is_final BEFORE UPDATE ON outbox_delivery "
    "WHEN OLD.state = 'acknowledged' "
    "BEGIN SELECT RAISE(ABORT, 'an acknowledged entry cannot change state'); END",
    "CREATE TRIGGER outbox_delivery_delete_after_ack BEFORE DELETE ON outbox_delivery "
    "WHEN OLD.state <> 'acknowledged' "
    "BEGIN SELECT RAISE(ABORT, 'journal entry not yet acknowledged by the server'); END",
    "CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
]

# Schema 2: the outbox takes agent state changes (the rest as in schema 1).
JOURNAL_V2 = [
    "CREATE TABLE outbox_items (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, "
    "kind TEXT NOT NULL CHECK (kind IN ('disposition', 'call_record', 'callback', 'audit', "
    "'agent_state')), agent_id TEXT NOT NULL, call_id TEXT, created_at TEXT NOT NULL, "
    "payload TEXT NOT NULL)",
    *JOURNAL_V1[1:],
]

JOURNAL_V3 = [
    *JOURNAL_V2,
    "CREATE TABLE drafts (record_id TEXT NOT NULL, part TEXT NOT NULL, "
    "updated_at TEXT NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (record_id, part)) "
    "WITHOUT ROWID",
]

Builder = Callable[[sqlcipher3.Connection], None]

# What every builder leaves in its file, so a test can look for it after migrating.
PATIENT_ID = "pat-hist-1"
PATIENT_PHONE = "+12015550177"
PATIENT_MRN = "MRN00900001"
JOURNAL_ITEM_ID = "5b0c4a8e-6a43-4c1e-9a55-000000000001"
PARKED_ITEM_ID = "5b0c4a8e-6a43-4c1e-9a55-000000000002"
DRAFT_RECORD_ID = "5b0c4a8e-6a43-4c1e-9a55-000000000003"


def _run(conn: sqlcipher3.Connection, statements: list[str], version: int) -> None:
    conn.execute("BEGIN")
    for statement in statements:
        conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute("COMMIT")


def build_cache_v0(conn: sqlcipher3.Connection) -> None:
    """A file created but never migrated (a crash right after creation)."""
    conn.execute("SELECT 1").fetchone()


def build_cache_v1(conn: sqlcipher3.Connection) -> None:
    _run(conn, CACHE_V1, 1)
    conn.execute(
        "INSERT INTO patients VALUES (?, ?, 'Halwyn', 'Dunmere', 'halwyn', 'dunmere', "
        "'1958-02-03', 'en', 'America/Chicago', 1, 0, NULL, ?, 'camp-a', 4)",
        (PATIENT_ID, PATIENT_MRN, "home" + PATIENT_PHONE),
    )
    conn.execute("INSERT INTO patient_phones VALUES (?, ?)", (PATIENT_PHONE, PATIENT_ID))
    conn.execute("INSERT INTO patient_campaigns VALUES (?, 'camp-a')", (PATIENT_ID,))
    conn.execute(
        "INSERT INTO feed_state (feed, cursor, last_sync_at) "
        "VALUES ('patients', 'cur-7', '2026-01-01T00:00:00.000000Z')"
    )


def build_cache_v2(conn: sqlcipher3.Connection) -> None:
    """Schema 2: integer patient keys, the phone index keyed by the integer number."""
    _run(conn, CACHE_V2, 2)
    conn.execute(
        "INSERT INTO patients VALUES (7, ?, ?, 'Halwyn', 'Dunmere', 'halwyn', 'dunmere', "
        "'1958-02-03', 'en', 'America/Chicago', 1, 0, NULL, ?, 'camp-a', 4)",
        (PATIENT_ID, PATIENT_MRN, "home" + PATIENT_PHONE),
    )
    conn.execute("INSERT INTO patient_phones VALUES (?, 7)", (int(PATIENT_PHONE[1:]),))
    conn.execute("INSERT INTO assigned_campaigns VALUES ('camp-a')")
    conn.execute(
        "INSERT INTO feed_state (feed, cursor, last_sync_at) "
        "VALUES ('patients', 'cur-7', '2026-01-01T00:00:00.000000Z')"
    )


def build_journal_v0(conn: sqlcipher3.Connection) -> None:
    conn.execute("SELECT 1").fetchone()


def build_journal_v1(conn: sqlcipher3.Connection) -> None:
    _run(conn, JOURNAL_V1, 1)
    _fill_journal(conn)


def build_journal_v2(conn: sqlcipher3.Connection) -> None:
    _run(conn, JOURNAL_V2, 2)
    _fill_journal(conn)


def build_journal_v3(conn: sqlcipher3.Connection) -> None:
    _run(conn, JOURNAL_V3, 3)
    _fill_journal(conn)
    conn.execute(
        "INSERT INTO drafts VALUES (?, 'disposition', '2026-01-01T00:00:00.000000Z', "
        '\'{"code":"CALLBACK"}\')',
        (DRAFT_RECORD_ID,),
    )


def _fill_journal(conn: sqlcipher3.Connection) -> None:
    for seq, (item_id, state) in enumerate(
        ((JOURNAL_ITEM_ID, "pending"), (PARKED_ITEM_ID, "parked")), start=1
    ):
        conn.execute(
            "INSERT INTO outbox_items VALUES (?, ?, 'disposition', 'agent-h', 'call-h', "
            "'2026-01-01T00:00:00.000000Z', '{\"call_id\":\"call-h\"}')",
            (seq, item_id),
        )
        conn.execute(
            "INSERT INTO outbox_delivery (seq, state, parked_reason) VALUES (?, ?, ?)",
            (seq, state, "422: test" if state == "parked" else None),
        )
    conn.execute(
        "INSERT INTO sync_state VALUES ('last_server_contact', '2026-01-01T00:00:00.000000Z')"
    )


CACHE_BUILDERS: dict[int, Builder] = {0: build_cache_v0, 1: build_cache_v1, 2: build_cache_v2}
JOURNAL_BUILDERS: dict[int, Builder] = {
    0: build_journal_v0,
    1: build_journal_v1,
    2: build_journal_v2,
    3: build_journal_v3,
}
