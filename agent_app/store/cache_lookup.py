"""Reading patient rows on a cache connection: the caller-id query and the rows attached again."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlcipher3

from agent_app.store.connection import attach_encrypted
from agent_app.store.records import PACKED_SEP, PatientRecord

PATIENT_COLUMNS = (
    "id, mrn, given_name, family_name, birth_date, phones, language, time_zone, "
    "consent_calls, do_not_call, care_program, campaign_ids, version"
)
ROWS = "rows"
"""Schema name under which the reader attaches the cache file a second time.

Patient rows are read through it, with its own small page cache, so that rows read by
lookups and searches never evict the phone index from the main page cache (SQLite's page
cache is one LRU per attached file). The preload attaches it (on its thread, after open:
the attach costs about as much as opening the file, and open time is the agent's wait);
until then rows are read through ``main``."""
ROW_CACHE_MIB = 1
"""The row page cache: the row table's interior pages (about 150 for a million patients) and
the latest rows read. A row read at random is a miss in a cache of any size a desk can
afford, so a larger one holds memory for nothing (docs/decisions/0048-row-cache-size.md)."""
ROW_CACHE_PAGES = ROW_CACHE_MIB * 1024 * 1024 // 4096
# The phone index holds the number as an integer (E.164 without its "+") and the
# patient's integer key: the whole index stays in the reader's page cache. The two
# schemas start their read transactions one after the other at the start of the
# statement, so a commit may fall in between: a row is returned only if it still
# carries the number (its packed phones hold "+<digits>" followed by the separator).
_BY_PHONE = {
    schema: f"SELECT {', '.join('p.' + c.strip() for c in PATIENT_COLUMNS.split(','))} "  # noqa: S608
    f"FROM main.patient_phones ph JOIN {schema}.patients p ON p.pk = ph.pk "
    "WHERE ph.e164 = ?1 AND instr(p.phones || char(31), ?2) > 0"
    for schema in ("main", ROWS)
}
FROM_ROWS = {
    schema: f"SELECT {PATIENT_COLUMNS} FROM {schema}.patients"  # noqa: S608
    for schema in ("main", ROWS)
}
"""The patient rows' select, by the schema they are read through (``main`` or :data:`ROWS`)."""
# Phones and campaign ids ride on the patient row as text (see ``records.PACKED_SEP``).
_SEP = PACKED_SEP


def lookup_numbers(
    conn: sqlcipher3.Connection, numbers: Sequence[str], rows: str = ROWS
) -> list[PatientRecord]:
    """Patients with any of these E.164 numbers, each once.

    ``rows`` is the schema the patient rows are read through: :data:`ROWS` on a cache
    connection that has the file attached again (:func:`attach_rows`), else ``main``.
    """
    record = PatientRecord.from_row
    sql = _BY_PHONE[rows]
    if len(numbers) == 1:
        number = numbers[0]
        return [record(r) for r in conn.execute(sql, (int(number[1:]), number + _SEP))]
    found: dict[str, PatientRecord] = {}
    for number in numbers:
        for row in conn.execute(sql, (int(number[1:]), number + _SEP)):
            if row[0] not in found:
                found[row[0]] = record(row)
    return list(found.values())


def attach_rows(
    conn: sqlcipher3.Connection,
    path: Path,
    key_hex: str | None,
    *,
    cache_mib: int = ROW_CACHE_MIB,
) -> None:
    """Attach the cache file at ``path`` to ``conn`` again as :data:`ROWS`."""
    attach_encrypted(conn, path, key_hex, schema=ROWS, label="cache", cache_mib=cache_mib)
