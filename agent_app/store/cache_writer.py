"""The cache's writer: sync pages applied as one transaction each, snapshots staged until whole."""

from __future__ import annotations

import contextlib
import gc
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlcipher3

from agent_app.store import cache_schema
from agent_app.store.cache_items import (
    check_feed,
    item_id,
    packed_numbers,
    patient_row,
    safe_id,
    str_field,
)
from agent_app.store.cache_regions import CampaignRegions
from agent_app.store.cache_staging import (
    clear_staging,
    create_bulk_indexes,
    drop_bulk_indexes,
    live_count,
    swap_in,
)
from agent_app.store.connection import Db
from agent_app.store.errors import InvalidItemError, StoreClosedError
from agent_app.store.records import PACKED_SEP

log = logging.getLogger(__name__)

_SEP = PACKED_SEP
_WAL_PAGES = 8192


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class ApplyResult:
    applied: int
    deleted: int
    skipped: int  # malformed items, left on the server; their ids were logged


@dataclass(frozen=True)
class FeedState:
    feed: str
    cursor: str | None  # delta cursor of the live data; None: a snapshot is needed
    snapshot_cursor: str | None  # where an unfinished snapshot resumes
    last_sync_at: str | None


class CacheWriter:
    """The writer connection of a cache file and everything the sync layer writes through it.

    A multi-page snapshot is staged in the ``*_next`` tables and replaces the live rows in
    the transaction of its last page, so lookups see the old slice until the new one is
    whole. When the live feed is empty (first fill, rebuild) there is nothing to keep
    serving and pages go straight to the live tables.
    """

    def __init__(self, db: Db, regions: CampaignRegions) -> None:
        # Snapshot pages come a thousand patients at a time: checkpointing every 32 MiB
        # of WAL instead of every 4 MiB spares most of the fsyncs and repeated page
        # copies of a fill (a fifth of its time), and the WAL file is cut back after.
        db.query(f"PRAGMA wal_autocheckpoint = {_WAL_PAGES}")
        db.query(f"PRAGMA journal_size_limit = {_WAL_PAGES * 4096}")
        self._db: Db | None = db
        self.regions = regions

    @property
    def db(self) -> Db:
        if self._db is None:
            raise StoreClosedError("cache: closed")
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
        self._db = None

    def restore_indexes(self) -> None:
        """After a crash in the middle of a first fill the search indexes may be missing."""
        names = cache_schema.BULK_INDEX_NAMES
        present = self.db.query(
            f"SELECT count(*) FROM sqlite_master WHERE type = 'index' "  # noqa: S608
            f"AND name IN ({', '.join('?' for _ in names)})",
            names,
        )[0][0]
        if present == len(names):
            return
        filling = self.db.query(
            "SELECT 1 FROM feed_state WHERE feed = 'patients' AND snapshot_direct = 1"
        )
        if not filling:
            with self.db.transaction() as conn:
                create_bulk_indexes(conn)

    def feed_state(self, feed: str) -> FeedState:
        check_feed(feed)
        rows = self.db.query(
            "SELECT cursor, snapshot_cursor, last_sync_at FROM feed_state WHERE feed = ?", (feed,)
        )
        if not rows:
            return FeedState(feed, None, None, None)
        return FeedState(feed, rows[0][0], rows[0][1], rows[0][2])

    def apply_snapshot(
        self,
        feed: str,
        items: Sequence[Mapping[str, Any]],
        *,
        cursor: str,
        first: bool,
        last: bool,
    ) -> ApplyResult:
        """One page of a full snapshot, in one transaction.

        ``first`` starts a new snapshot (discarding any unfinished one); ``last`` makes it
        the live data and its cursor the feed's delta cursor.
        """
        check_feed(feed)
        with self.db.transaction() as conn:
            state = conn.execute(
                "SELECT snapshot_cursor, snapshot_direct FROM feed_state WHERE feed = ?", (feed,)
            ).fetchone()
            if first or state is None or state[0] is None:
                clear_staging(conn, feed)
                direct = live_count(conn, feed) == 0
                if direct and feed == "patients":
                    drop_bulk_indexes(conn)
            else:
                direct = bool(state[1])
            suffix = "" if direct else "_next"
            applied, skipped = self._upsert(conn, feed, items, suffix)
            if last:
                if not direct:
                    swap_in(conn, feed)
                elif feed == "patients":
                    create_bulk_indexes(conn)
                self._set_state(conn, feed, cursor=cursor, snapshot_cursor=None, direct=False)
                if feed == "campaigns":
                    self._purge_unassigned(conn)
            else:
                self._set_state(conn, feed, cursor=None, snapshot_cursor=cursor, direct=direct)
        if last and feed == "patients":
            # A full slice rewrote most pages: fold the WAL back and give its space back.
            self.db.query("PRAGMA wal_checkpoint(TRUNCATE)")
        if feed == "campaigns":
            self.regions.load(self.db)
        return ApplyResult(applied, 0, skipped)

    def apply_delta(
        self,
        feed: str,
        upserts: Sequence[Mapping[str, Any]],
        deletions: Sequence[str],
        *,
        cursor: str,
    ) -> ApplyResult:
        """One page of changes since the feed's cursor, in one transaction."""
        check_feed(feed)
        with self.db.transaction() as conn:
            applied, skipped = self._upsert(conn, feed, upserts, "")
            deleted = self._delete(conn, feed, [str(d) for d in deletions], "")
            self._set_state(conn, feed, cursor=cursor, snapshot_cursor=None, direct=False)
            if feed == "campaigns":
                self._purge_unassigned(conn)
        if feed == "campaigns":
            self.regions.load(self.db)
        return ApplyResult(applied, deleted, skipped)

    def reset_feed(self, feed: str) -> None:
        """Forget the feed's cursor (the server answered 410): the next pull is a snapshot."""
        check_feed(feed)
        with self.db.transaction() as conn:
            clear_staging(conn, feed)
            conn.execute("DELETE FROM feed_state WHERE feed = ?", (feed,))

    def purge_unassigned(self) -> int:
        """Drop patients none of whose campaigns is still in this agent's campaign list."""
        with self.db.transaction() as conn:
            return self._purge_unassigned(conn)

    def _set_state(
        self,
        conn: sqlcipher3.Connection,
        feed: str,
        *,
        cursor: str | None,
        snapshot_cursor: str | None,
        direct: bool,
    ) -> None:
        if snapshot_cursor is None:
            conn.execute(
                "INSERT INTO feed_state (feed, cursor, snapshot_cursor, snapshot_direct, "
                "last_sync_at) VALUES (?, ?, NULL, 0, ?) ON CONFLICT (feed) DO UPDATE SET "
                "cursor = excluded.cursor, snapshot_cursor = NULL, snapshot_direct = 0, "
                "snapshot_pages = 0, last_sync_at = excluded.last_sync_at",
                (feed, cursor, _now()),
            )
        else:
            conn.execute(
                "INSERT INTO feed_state (feed, cursor, snapshot_cursor, snapshot_direct, "
                "snapshot_pages) VALUES (?, NULL, ?, ?, 1) ON CONFLICT (feed) DO UPDATE SET "
                "snapshot_cursor = excluded.snapshot_cursor, "
                "snapshot_direct = excluded.snapshot_direct, "
                "snapshot_pages = snapshot_pages + 1",
                (feed, snapshot_cursor, int(direct)),
            )

    def _upsert(
        self,
        conn: sqlcipher3.Connection,
        feed: str,
        items: Sequence[Mapping[str, Any]],
        suffix: str,
    ) -> tuple[int, int]:
        if feed != "patients":
            rows = []
            skipped = 0
            for item in items:
                try:
                    rows.append((feed, str_field(item, "id", feed), int(item["version"]), item))
                except (KeyError, TypeError, ValueError, InvalidItemError):
                    skipped += 1
                    log.warning("%s item %s skipped: malformed", feed, safe_id(item))
            conn.executemany(
                f"INSERT OR REPLACE INTO documents{suffix} (feed, id, version, body) "  # noqa: S608
                "VALUES (?, ?, ?, ?)",
                [(f, i, v, json.dumps(body, separators=(",", ":"))) for f, i, v, body in rows],
            )
            return len(rows), skipped

        with _gc_paused():
            ids = [item_id(item) for item in items]
            known = [i for i in ids if i is not None]
            if len(set(known)) != len(known):
                # An id sent twice in one page: the later item wins.
                latest = {pid: n for n, pid in enumerate(ids)}
                items = [it for n, it in enumerate(items) if ids[n] is None or latest[ids[n]] == n]
                known = list(dict.fromkeys(known))
            # Only patients already present have phone index entries to replace; in a
            # fill that is none of them, and one query spares a thousand index probes.
            existing = self._existing(conn, suffix, known)
            self._remove_links(conn, suffix, list(existing.values()))
            next_pk = int(
                conn.execute(f"SELECT coalesce(max(pk), 0) + 1 FROM patients{suffix}").fetchone()[0]  # noqa: S608
            )
            skipped = 0
            patients: list[list[Any]] = []
            replaced: list[list[Any]] = []
            phones: list[tuple[int, int]] = []
            assigned: set[str] = set()
            region_for = self.regions.for_campaigns
            for item in items:
                try:
                    row, numbers, campaigns = patient_row(item, region_for)
                except InvalidItemError as exc:
                    skipped += 1
                    log.warning("patient %s skipped: %s", safe_id(item), exc)
                    continue
                old = existing.get(row[1])
                if old is None:
                    pk = next_pk
                    next_pk += 1
                    patients.append(row)
                else:
                    pk = old[0]
                    replaced.append(row)
                row[0] = pk
                for number in numbers:
                    phones.append((number, pk))
                assigned.update(campaigns)
            marks = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            # Rows already present keep their key and are replaced whole. New ones (the
            # whole of a fill) are plain inserts: SQLite reuses the seek of the unique
            # checks to place them, which OR REPLACE cannot (a third of a fill's inserts).
            conn.executemany(
                f"INSERT OR REPLACE INTO patients{suffix} VALUES {marks}",  # noqa: S608
                replaced,
            )
            conn.executemany(f"INSERT INTO patients{suffix} VALUES {marks}", patients)  # noqa: S608
            conn.executemany(
                f"INSERT OR IGNORE INTO patient_phones{suffix} VALUES (?, ?)",  # noqa: S608
                phones,
            )
            conn.executemany(
                f"INSERT OR IGNORE INTO assigned_campaigns{suffix} VALUES (?)",  # noqa: S608
                [(c,) for c in assigned],
            )
        return len(patients) + len(replaced), skipped

    @staticmethod
    def _remove_links(
        conn: sqlcipher3.Connection, suffix: str, rows: Sequence[tuple[int, str]]
    ) -> None:
        """Delete the phone index entries of patients given as (pk, packed phones).

        The packed phones on a row name its entries' full keys: no index by patient.
        """
        conn.executemany(
            f"DELETE FROM patient_phones{suffix} WHERE e164 = ? AND pk = ?",  # noqa: S608
            [(number, pk) for pk, phones in rows for number in packed_numbers(phones)],
        )

    @staticmethod
    def _existing(
        conn: sqlcipher3.Connection, suffix: str, ids: Sequence[str]
    ) -> dict[str, tuple[int, str]]:
        """(pk, packed phones) of those of ``ids`` already in the table."""
        found: dict[str, tuple[int, str]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            for pid, pk, phones in conn.execute(
                f"SELECT id, pk, phones FROM patients{suffix} WHERE id IN ({marks})",  # noqa: S608
                chunk,
            ):
                found[pid] = (pk, phones)
        return found

    def _delete(self, conn: sqlcipher3.Connection, feed: str, ids: list[str], suffix: str) -> int:
        if not ids:
            return 0
        if feed != "patients":
            before = conn.total_changes
            conn.executemany(
                f"DELETE FROM documents{suffix} WHERE feed = ? AND id = ?",  # noqa: S608
                [(feed, i) for i in ids],
            )
            return int(conn.total_changes - before)
        rows = list(self._existing(conn, suffix, ids).values())
        self._remove_links(conn, suffix, rows)
        conn.executemany(f"DELETE FROM patients{suffix} WHERE pk = ?", [(r[0],) for r in rows])  # noqa: S608
        return len(rows)

    def _purge_unassigned(self, conn: sqlcipher3.Connection) -> int:
        synced = conn.execute(
            "SELECT cursor FROM feed_state WHERE feed = 'campaigns' AND cursor IS NOT NULL"
        ).fetchone()
        if synced is None:
            return 0  # the campaign list is not known yet: nothing can be judged unassigned
        live = {r[0] for r in conn.execute("SELECT id FROM documents WHERE feed = 'campaigns'")}
        gone = {r[0] for r in conn.execute("SELECT campaign_id FROM assigned_campaigns")} - live
        if not gone:
            return 0  # the usual case: no patient row needs reading
        kept: list[tuple[str, int]] = []
        orphans: list[tuple[int, str]] = []
        # A campaign left the agent's list (rare): one pass over the rows, changes after.
        for pk, phones, packed in conn.execute("SELECT pk, phones, campaign_ids FROM patients"):
            campaigns = packed.split(_SEP)
            if gone.isdisjoint(campaigns):
                continue
            remaining = [c for c in campaigns if c in live]
            if remaining:
                kept.append((_SEP.join(remaining), pk))
            else:
                orphans.append((pk, phones))
        conn.executemany("UPDATE patients SET campaign_ids = ? WHERE pk = ?", kept)
        self._remove_links(conn, "", orphans)
        conn.executemany("DELETE FROM patients WHERE pk = ?", [(r[0],) for r in orphans])
        conn.executemany(
            "DELETE FROM assigned_campaigns WHERE campaign_id = ?", [(c,) for c in gone]
        )
        if orphans:
            log.info("purged %d patients no longer assigned to this agent", len(orphans))
        return len(orphans)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic collection while a page's rows are built.

    A thousand patients make some ten thousand short-lived tuples and lists, none of them
    in a cycle; the collector would otherwise run (and walk the whole heap) many times a
    page, which was a third of the Python time of a snapshot.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
