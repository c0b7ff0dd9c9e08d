"""Snapshot staging in a cache file: the ``*_next`` tables, their swap, the bulk-loaded indexes."""

from __future__ import annotations

import sqlcipher3

from agent_app.store import cache_schema


def live_count(conn: sqlcipher3.Connection, feed: str) -> int:
    if feed == "patients":
        row = conn.execute("SELECT EXISTS (SELECT 1 FROM patients)").fetchone()
    else:
        row = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM documents WHERE feed = ?)", (feed,)
        ).fetchone()
    return int(row[0])


def clear_staging(conn: sqlcipher3.Connection, feed: str) -> None:
    if feed == "patients":
        for table in ("patients_next", "patient_phones_next", "assigned_campaigns_next"):
            conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    else:
        conn.execute("DELETE FROM documents_next WHERE feed = ?", (feed,))


def swap_in(conn: sqlcipher3.Connection, feed: str) -> None:
    if feed == "patients":
        # The staged rows keep their keys, so the staged phone entries still match.
        drop_bulk_indexes(conn)
        conn.execute("DROP INDEX patients_by_id")
        for table in ("patients", "patient_phones", "assigned_campaigns"):
            conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            conn.execute(f"INSERT INTO {table} SELECT * FROM {table}_next")  # noqa: S608
            conn.execute(f"DELETE FROM {table}_next")  # noqa: S608
        conn.execute(cache_schema.BY_ID)
        create_bulk_indexes(conn)
    else:
        conn.execute("DELETE FROM documents WHERE feed = ?", (feed,))
        conn.execute("INSERT INTO documents SELECT * FROM documents_next WHERE feed = ?", (feed,))
        conn.execute("DELETE FROM documents_next WHERE feed = ?", (feed,))


def drop_bulk_indexes(conn: sqlcipher3.Connection) -> None:
    for name in cache_schema.BULK_INDEX_NAMES:
        conn.execute(f"DROP INDEX IF EXISTS {name}")


def create_bulk_indexes(conn: sqlcipher3.Connection) -> None:
    for statement in cache_schema.BULK_INDEXES:
        conn.execute(statement)
