"""Schema of the patient cache (rebuildable from the server), as migration steps.

Patients keep only what the card, the lookups and the compliance rules need. Phones and
campaign assignments are stored twice on purpose: as tables indexed for lookup and
purge, and as compact JSON on the patient row, so a caller-id lookup is one index probe
and one row read. The ``*_next`` tables stage a multi-page snapshot until its last page
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

# Indexes that only searches and purges use. A bulk fill drops them and builds them again
# at its end (one sort instead of a million random inserts); the phone index and the
# primary keys always stay, so lookups and per-patient deletes stay fast meanwhile.
BULK_INDEXES = (
    "CREATE INDEX IF NOT EXISTS patients_by_mrn ON patients (mrn)",
    "CREATE INDEX IF NOT EXISTS patients_by_name_dob "
    "ON patients (family_key, birth_date, given_key)",
    "CREATE INDEX IF NOT EXISTS patient_campaigns_by_campaign ON patient_campaigns (campaign_id)",
)
BULK_INDEX_NAMES = ("patients_by_mrn", "patients_by_name_dob", "patient_campaigns_by_campaign")

STEPS: list[Migration] = [sql_step(1, "patients, phones, campaigns, documents, feeds", V1)]
