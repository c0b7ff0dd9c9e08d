"""Schema of the patient cache (rebuildable from the server), as migration steps.

Patients keep only what the card, the lookups and the compliance rules need. Phones are
stored twice on purpose: in a table indexed for lookup and as compact text on the
patient row (with the campaign ids), so a caller-id lookup is one index probe and one
row read. Since version 2 a patient row has a small integer key (``pk``, its
rowid) beside the server's id, and the phone index holds ``(E.164 number as an integer,
pk)``: about 16 bytes an entry, so the whole index of a million patients (two million
numbers) stays decrypted in the reader's page cache and a lookup decrypts one page, the
patient's row. The ``*_next`` tables stage a multi-page snapshot until its last page
arrives, when they replace the live rows in one transaction. Feed cursors live here, not
in the journal: a rebuilt cache must start its feeds from a fresh snapshot.
"""

from __future__ import annotations

from agent_app.store.migrations import Migration, sql_step


def _patient_tables(suffix: str) -> list[str]:
    return [
        f"""CREATE TABLE patients{suffix} (
            id TEXT PRIMARY KEY,
            mrn TEXT NOT NULL,
            given_name TEXT NOT NULL,
            family_name TEXT NOT NULL,
            given_key TEXT NOT NULL,
            family_key TEXT NOT NULL,
            birth_date TEXT NOT NULL,
            language TEXT NOT NULL,
            time_zone TEXT NOT NULL,
            consent_calls INTEGER NOT NULL,
            do_not_call INTEGER NOT NULL,
            care_program TEXT,
            phones TEXT NOT NULL,
            campaign_ids TEXT NOT NULL,
            version INTEGER NOT NULL
        ) WITHOUT ROWID""",
        f"""CREATE TABLE patient_phones{suffix} (
            e164 TEXT NOT NULL,
            patient_id TEXT NOT NULL,
            PRIMARY KEY (e164, patient_id)
        ) WITHOUT ROWID""",
        f"""CREATE TABLE patient_campaigns{suffix} (
            patient_id TEXT NOT NULL,
            campaign_id TEXT NOT NULL,
            PRIMARY KEY (patient_id, campaign_id)
        ) WITHOUT ROWID""",
        f"""CREATE TABLE documents{suffix} (
            feed TEXT NOT NULL,
            id TEXT NOT NULL,
            version INTEGER NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (feed, id)
        ) WITHOUT ROWID""",
    ]


V1 = [
    *_patient_tables(""),
    *_patient_tables("_next"),
    "CREATE INDEX patient_phones_by_patient ON patient_phones (patient_id)",
    "CREATE INDEX patients_by_mrn ON patients (mrn)",
    "CREATE INDEX patients_by_name_dob ON patients (family_key, birth_date, given_key)",
    "CREATE INDEX patient_campaigns_by_campaign ON patient_campaigns (campaign_id)",
    """CREATE TABLE feed_state (
        feed TEXT PRIMARY KEY,
        cursor TEXT,
        snapshot_cursor TEXT,
        snapshot_pages INTEGER NOT NULL DEFAULT 0,
        snapshot_direct INTEGER NOT NULL DEFAULT 0,
        last_sync_at TEXT
    ) WITHOUT ROWID""",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
]

# Indexes that only searches use. A bulk fill drops them and builds them again
# at its end (one sort instead of a million random inserts); the phone index and the
# primary keys always stay, so lookups and per-patient deletes stay fast meanwhile.
BULK_INDEXES = (
    "CREATE INDEX IF NOT EXISTS patients_by_mrn ON patients (mrn)",
    "CREATE INDEX IF NOT EXISTS patients_by_name_dob "
    "ON patients (family_key, birth_date, given_key)",
)
BY_ID = "CREATE UNIQUE INDEX patients_by_id ON patients (id)"
BULK_INDEX_NAMES = ("patients_by_mrn", "patients_by_name_dob")


def _v2_tables(suffix: str) -> list[str]:
    return [
        f"""CREATE TABLE patients{suffix}_v2 (
            pk INTEGER PRIMARY KEY,
            id TEXT NOT NULL,
            mrn TEXT NOT NULL,
            given_name TEXT NOT NULL,
            family_name TEXT NOT NULL,
            given_key TEXT NOT NULL,
            family_key TEXT NOT NULL,
            birth_date TEXT NOT NULL,
            language TEXT NOT NULL,
            time_zone TEXT NOT NULL,
            consent_calls INTEGER NOT NULL,
            do_not_call INTEGER NOT NULL,
            care_program TEXT,
            phones TEXT NOT NULL,
            campaign_ids TEXT NOT NULL,
            version INTEGER NOT NULL
        )""",
        # No index by patient: a patient's numbers are on its row, so its entries are
        # deleted by their full key.
        f"""CREATE TABLE patient_phones{suffix}_v2 (
            e164 INTEGER NOT NULL,
            pk INTEGER NOT NULL,
            PRIMARY KEY (e164, pk)
        ) WITHOUT ROWID""",
        # Every campaign some patient is (or was) assigned to: the purge compares it with
        # the campaign list and reads the patient rows only when a campaign has left.
        # Per-patient assignment rows cost a million inserts per snapshot for a purge
        # that is rare.
        f"""CREATE TABLE assigned_campaigns{suffix} (
            campaign_id TEXT PRIMARY KEY
        ) WITHOUT ROWID""",
        # Rows keep their order by id, so the staged and the live slice number alike.
        f"INSERT INTO patients{suffix}_v2 (id, mrn, given_name, family_name, given_key, "  # noqa: S608
        "family_key, birth_date, language, time_zone, consent_calls, do_not_call, "
        "care_program, phones, campaign_ids, version) SELECT id, mrn, given_name, "
        "family_name, given_key, family_key, birth_date, language, time_zone, "
        "consent_calls, do_not_call, care_program, phones, campaign_ids, version "
        f"FROM patients{suffix} ORDER BY id",
        f"INSERT OR IGNORE INTO patient_phones{suffix}_v2 "  # noqa: S608
        "SELECT CAST(substr(ph.e164, 2) AS INTEGER), p.pk "
        f"FROM patient_phones{suffix} ph JOIN patients{suffix}_v2 p ON p.id = ph.patient_id",
        f"INSERT INTO assigned_campaigns{suffix} "  # noqa: S608
        f"SELECT DISTINCT campaign_id FROM patient_campaigns{suffix}",
        f"DROP TABLE patients{suffix}",
        f"DROP TABLE patient_phones{suffix}",
        f"DROP TABLE patient_campaigns{suffix}",
        f"ALTER TABLE patients{suffix}_v2 RENAME TO patients{suffix}",
        f"ALTER TABLE patient_phones{suffix}_v2 RENAME TO patient_phones{suffix}",
        f"CREATE UNIQUE INDEX patients{suffix}_by_id ON patients{suffix} (id)",
    ]


V2 = [
    *_v2_tables(""),
    *_v2_tables("_next"),
    "CREATE INDEX patients_by_mrn ON patients (mrn)",
    "CREATE INDEX patients_by_name_dob ON patients (family_key, birth_date, given_key)",
]

STEPS: list[Migration] = [
    sql_step(1, "patients, phones, campaigns, documents, feeds", V1),
    sql_step(2, "integer patient keys; phone index by integer E.164", V2),
]
