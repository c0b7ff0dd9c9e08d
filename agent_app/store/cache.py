"""The patient cache: this agent's slice of patients, campaigns, scripts and code trees.

Rebuildable from the server, so any trouble with the file (wrong key, damage, a schema
from a newer Pulse) ends with it set aside and a fresh one filled by a snapshot. The sync
layer writes pages through :meth:`PatientCache.apply_snapshot` and
:meth:`PatientCache.apply_delta`, one transaction per page; the screen-pop reads through
:meth:`PatientCache.by_phone` and friends on a separate reader connection with a large
page cache, so a sync page being written never delays a lookup (WAL lets both run).

A multi-page snapshot is staged in the ``*_next`` tables and replaces the live rows in the
transaction of its last page, so lookups see the old slice until the new one is whole.
When the live feed is empty (first fill, rebuild) there is nothing to keep serving and
pages go straight to the live tables.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import logging
import math
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlcipher3

from agent_app.store import cache_schema
from agent_app.store.connection import (
    HMAC_SHA256,
    Db,
    attach_encrypted,
    classify,
    integrity_problems,
    open_encrypted,
    page_hmac,
)
from agent_app.store.errors import CacheLockedError, InvalidItemError, StoreClosedError
from agent_app.store.migrations import migrate, schema_version
from agent_app.store.names import name_key
from agent_app.store.phones import E164, InvalidPhoneNumberError, caller_candidates, to_e164
from agent_app.store.records import PACKED_SEP, PatientRecord

log = logging.getLogger(__name__)

FEEDS = ("patients", "campaigns", "scripts", "code_trees", "not_ready_reasons")
DOCUMENT_FEEDS = ("campaigns", "scripts", "code_trees", "not_ready_reasons")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_KIND = re.compile(r"^[a-z_]{1,16}$")
_KNOWN_KINDS = frozenset(("mobile", "home", "work", "other"))
# Phones and campaign ids ride on the patient row as text (see ``records.PACKED_SEP``).
_SEP = PACKED_SEP
_PATIENT_COLUMNS = (
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
ROW_CACHE_MIB = 4
# The phone index holds the number as an integer (E.164 without its "+") and the
# patient's integer key: the whole index stays in the reader's page cache. The two
# schemas start their read transactions one after the other at the start of the
# statement, so a commit may fall in between: a row is returned only if it still
# carries the number (its packed phones hold "+<digits>" followed by the separator).
_BY_PHONE = {
    schema: f"SELECT {', '.join('p.' + c.strip() for c in _PATIENT_COLUMNS.split(','))} "  # noqa: S608
    f"FROM main.patient_phones ph JOIN {schema}.patients p ON p.pk = ph.pk "
    "WHERE ph.e164 = ?1 AND instr(p.phones || char(31), ?2) > 0"
    for schema in ("main", ROWS)
}
_FROM_ROWS = {
    schema: f"SELECT {_PATIENT_COLUMNS} FROM {schema}.patients"  # noqa: S608
    for schema in ("main", ROWS)
}
_WAL_PAGES = 8192
# Entries of the phone index read per step when it is loaded into the reader's page
# cache (about 75 pages, well under a millisecond): lookups interleave with the load.
_WARM_STEP = 20_000
CACHE_HMAC = HMAC_SHA256
"""Page HMAC of cache files; a file made before it is converted once when opened."""


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


def _packed_numbers(packed: str) -> list[int]:
    """The phone index keys of a row's packed phones."""
    return [int(p.partition("+")[2]) for p in packed.split(_SEP)] if packed else []


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


def warm_phone_index(
    conn: sqlcipher3.Connection,
    lock: contextlib.AbstractContextManager[Any] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Read every page of the phone index on ``conn`` (see ``warm_lookup_index``)."""
    guard = lock if lock is not None else contextlib.nullcontext()
    last, read = -1, 0
    while stop is None or not stop.is_set():
        with guard:
            try:
                row = conn.execute(_WARM_NEXT, (last, _WARM_STEP)).fetchone()
                if row is None:
                    tail = conn.execute(_WARM_TAIL, (last,)).fetchone()
                    return read + int(tail[0])
            except sqlcipher3.Error as exc:
                raise classify(exc, "cache") from None
        last, read = row[0], read + _WARM_STEP + 1
    return read


_WARM_NEXT = "SELECT e164 FROM patient_phones WHERE e164 > ? ORDER BY e164 LIMIT 1 OFFSET ?"
_WARM_TAIL = "SELECT count(*) FROM patient_phones WHERE e164 > ?"


def warm_row_cache(
    conn: sqlcipher3.Connection,
    lock: contextlib.AbstractContextManager[Any] | None = None,
    stop: threading.Event | None = None,
    *,
    rows: int = 1_000,
) -> int:
    """Read ``rows`` patient rows spread over the table through :data:`ROWS`.

    This loads the row table's interior pages and fills the small row page cache, so
    the memory behind it is in place before the first screen-pop (a page cache that
    still grows costs a lookup a page fault or two); return the rows read.
    """
    guard = lock if lock is not None else contextlib.nullcontext()
    with guard:
        try:
            top = conn.execute(f"SELECT max(pk) FROM {ROWS}.patients").fetchone()[0]  # noqa: S608
        except sqlcipher3.Error as exc:
            raise classify(exc, "cache") from None
    if not top:
        return 0
    stride = max(1, int(top) // rows)
    read = 0
    for start in range(1, int(top) + 1, stride * 100):
        if stop is not None and stop.is_set():
            break
        keys = [(pk,) for pk in range(start, min(start + stride * 100, int(top) + 1), stride)]
        with guard:
            try:
                for key in keys:
                    conn.execute(_ROW_PROBE, key).fetchone()
            except sqlcipher3.Error as exc:
                raise classify(exc, "cache") from None
        read += len(keys)
    return read


_ROW_PROBE = f"SELECT length(phones) FROM {ROWS}.patients WHERE pk = ?"  # noqa: S608


class PatientCache:
    """One cache file, opened with its raw key; see the module docstring."""

    def __init__(
        self,
        path: Path,
        key_hex: str,
        *,
        default_region: str = "US",
        page_cache_mib: int = 64,
    ) -> None:
        self.path = path
        self.default_region = default_region.upper()
        writer = Db(_open_cache(path, key_hex, cache_mib=32), "cache")
        try:
            # Snapshot pages come a thousand patients at a time: checkpointing every 32 MiB
            # of WAL instead of every 4 MiB spares most of the fsyncs and repeated page
            # copies of a fill (a fifth of its time), and the WAL file is cut back after.
            writer.query(f"PRAGMA wal_autocheckpoint = {_WAL_PAGES}")
            writer.query(f"PRAGMA journal_size_limit = {_WAL_PAGES * 4096}")
            self.schema_before, _ = migrate(writer, cache_schema.STEPS)
            reader = open_encrypted(
                path, key_hex, label="cache", cache_mib=page_cache_mib, hmac=CACHE_HMAC
            )
        except BaseException:
            writer.close()
            raise
        self._writer: Db | None = writer
        self._reader: Db | None = Db(reader, "cache")
        # Patient rows are read through ``main`` until the preload attaches ROWS.
        self._rows = "main"
        self._attach: Callable[[], None] | None = functools.partial(
            attach_rows, reader, path, key_hex
        )
        self._locked_reason: str | None = None
        self._lock_deadline = math.inf
        self._state_lock = threading.Lock()
        self._campaign_regions: dict[str, str] = {}
        self._regions: tuple[str, ...] = (self.default_region,)
        self._load_regions()
        self._restore_indexes()

    def _restore_indexes(self) -> None:
        """After a crash in the middle of a first fill the search indexes may be missing."""
        names = cache_schema.BULK_INDEX_NAMES
        present = self.writer.query(
            f"SELECT count(*) FROM sqlite_master WHERE type = 'index' "  # noqa: S608
            f"AND name IN ({', '.join('?' for _ in names)})",
            names,
        )[0][0]
        if present == len(names):
            return
        filling = self.writer.query(
            "SELECT 1 FROM feed_state WHERE feed = 'patients' AND snapshot_direct = 1"
        )
        if not filling:
            with self.writer.transaction() as conn:
                _create_bulk_indexes(conn)

    # -- life cycle -------------------------------------------------------------------

    def close(self) -> None:
        for db in (self._reader, self._writer):
            if db is not None:
                db.close()
        self._reader = self._writer = None

    @property
    def writer(self) -> Db:
        if self._writer is None:
            raise StoreClosedError("cache: closed")
        return self._writer

    @property
    def reader(self) -> Db:
        if self._reader is None:
            raise StoreClosedError("cache: closed")
        return self._reader

    def schema_version(self) -> int:
        return schema_version(self.writer)

    def integrity_problems(self) -> list[str]:
        with self.writer.lock:
            return integrity_problems(self.writer.conn, "cache")

    def lock(self, reason: str) -> None:
        """Refuse lookups until :meth:`unlock` (revoked, or locked by IT)."""
        self._locked_reason = reason

    def unlock(self) -> None:
        self._locked_reason = None

    def set_lock_deadline(self, epoch_seconds: float) -> None:
        """Lookups are refused after this moment (the offline limit) until it moves."""
        self._lock_deadline = epoch_seconds

    def lock_reason(self, now: float | None = None) -> str | None:
        if self._locked_reason is not None:
            return self._locked_reason
        if (time.time() if now is None else now) > self._lock_deadline:
            return "too long without reaching the server"
        return None

    def _check_lock(self) -> None:
        reason = self.lock_reason()
        if reason is not None:
            raise CacheLockedError(f"cache locked: {reason}")

    # -- regions for phone normalisation ---------------------------------------------

    def _load_regions(self) -> None:
        rows = self.writer.query("SELECT id, body FROM documents WHERE feed = 'campaigns'")
        regions: dict[str, str] = {}
        for campaign_id, body in rows:
            region = json.loads(body).get("default_region")
            if isinstance(region, str) and region:
                regions[campaign_id] = region.upper()
        ordered = [self.default_region]
        ordered += [r for r in dict.fromkeys(regions.values()) if r != self.default_region]
        with self._state_lock:
            self._campaign_regions = regions
            self._regions = tuple(ordered)

    def _region_for(self, campaign_ids: Iterable[str]) -> str:
        for campaign_id in campaign_ids:
            region = self._campaign_regions.get(campaign_id)
            if region:
                return region
        return self.default_region

    # -- writes from the sync layer ---------------------------------------------------

    def feed_state(self, feed: str) -> FeedState:
        _check_feed(feed)
        rows = self.writer.query(
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
        _check_feed(feed)
        with self.writer.transaction() as conn:
            state = conn.execute(
                "SELECT snapshot_cursor, snapshot_direct FROM feed_state WHERE feed = ?", (feed,)
            ).fetchone()
            if first or state is None or state[0] is None:
                self._clear_staging(conn, feed)
                direct = self._live_count(conn, feed) == 0
                if direct and feed == "patients":
                    _drop_bulk_indexes(conn)
            else:
                direct = bool(state[1])
            suffix = "" if direct else "_next"
            applied, skipped = self._upsert(conn, feed, items, suffix)
            if last:
                if not direct:
                    self._swap_in(conn, feed)
                elif feed == "patients":
                    _create_bulk_indexes(conn)
                self._set_state(conn, feed, cursor=cursor, snapshot_cursor=None, direct=False)
                if feed == "campaigns":
                    self._purge_unassigned(conn)
            else:
                self._set_state(conn, feed, cursor=None, snapshot_cursor=cursor, direct=direct)
        if last and feed == "patients":
            # A full slice rewrote most pages: fold the WAL back and give its space back.
            self.writer.query("PRAGMA wal_checkpoint(TRUNCATE)")
            # The reader's page cache was emptied by the new slice: load the phone index.
            self.warm_lookup_index()
        if feed == "campaigns":
            self._load_regions()
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
        _check_feed(feed)
        with self.writer.transaction() as conn:
            applied, skipped = self._upsert(conn, feed, upserts, "")
            deleted = self._delete(conn, feed, [str(d) for d in deletions], "")
            self._set_state(conn, feed, cursor=cursor, snapshot_cursor=None, direct=False)
            if feed == "campaigns":
                self._purge_unassigned(conn)
        if feed == "campaigns":
            self._load_regions()
        return ApplyResult(applied, deleted, skipped)

    def reset_feed(self, feed: str) -> None:
        """Forget the feed's cursor (the server answered 410): the next pull is a snapshot."""
        _check_feed(feed)
        with self.writer.transaction() as conn:
            self._clear_staging(conn, feed)
            conn.execute("DELETE FROM feed_state WHERE feed = ?", (feed,))

    def purge_unassigned(self) -> int:
        """Drop patients none of whose campaigns is still in this agent's campaign list."""
        with self.writer.transaction() as conn:
            return self._purge_unassigned(conn)

    def _live_count(self, conn: sqlcipher3.Connection, feed: str) -> int:
        if feed == "patients":
            row = conn.execute("SELECT EXISTS (SELECT 1 FROM patients)").fetchone()
        else:
            row = conn.execute(
                "SELECT EXISTS (SELECT 1 FROM documents WHERE feed = ?)", (feed,)
            ).fetchone()
        return int(row[0])

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

    def _clear_staging(self, conn: sqlcipher3.Connection, feed: str) -> None:
        if feed == "patients":
            for table in ("patients_next", "patient_phones_next", "assigned_campaigns_next"):
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        else:
            conn.execute("DELETE FROM documents_next WHERE feed = ?", (feed,))

    def _swap_in(self, conn: sqlcipher3.Connection, feed: str) -> None:
        if feed == "patients":
            # The staged rows keep their keys, so the staged phone entries still match.
            _drop_bulk_indexes(conn)
            conn.execute("DROP INDEX patients_by_id")
            for table in ("patients", "patient_phones", "assigned_campaigns"):
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
                conn.execute(f"INSERT INTO {table} SELECT * FROM {table}_next")  # noqa: S608
                conn.execute(f"DELETE FROM {table}_next")  # noqa: S608
            conn.execute(cache_schema.BY_ID)
            _create_bulk_indexes(conn)
        else:
            conn.execute("DELETE FROM documents WHERE feed = ?", (feed,))
            conn.execute(
                "INSERT INTO documents SELECT * FROM documents_next WHERE feed = ?", (feed,)
            )
            conn.execute("DELETE FROM documents_next WHERE feed = ?", (feed,))

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
                    rows.append((feed, _str_field(item, "id", feed), int(item["version"]), item))
                except (KeyError, TypeError, ValueError, InvalidItemError):
                    skipped += 1
                    log.warning("%s item %s skipped: malformed", feed, _safe_id(item))
            conn.executemany(
                f"INSERT OR REPLACE INTO documents{suffix} (feed, id, version, body) "  # noqa: S608
                "VALUES (?, ?, ?, ?)",
                [(f, i, v, json.dumps(body, separators=(",", ":"))) for f, i, v, body in rows],
            )
            return len(rows), skipped

        with _gc_paused():
            ids = [_item_id(item) for item in items]
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
            patient_row = self._patient_row
            for item in items:
                try:
                    row, numbers, campaigns = patient_row(item)
                except InvalidItemError as exc:
                    skipped += 1
                    log.warning("patient %s skipped: %s", _safe_id(item), exc)
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
            [(number, pk) for pk, phones in rows for number in _packed_numbers(phones)],
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

    def _patient_row(  # noqa: PLR0912, PLR0915 - one flat validation pass, inline for speed
        self, item: Mapping[str, Any]
    ) -> tuple[list[Any], list[int], list[str]]:
        """The row (its key, first, still to be set), its phone keys and its campaigns."""
        # The hot path of a million-patient snapshot: plain dict access, no JSON.
        try:
            pid = item["id"]
            mrn = item["mrn"]
            given = item["given_name"]
            family = item["family_name"]
            birth_date = item["birth_date"]
            raw_campaigns = item["campaign_ids"]
        except (KeyError, TypeError) as exc:
            raise InvalidItemError(f"patient: field {exc.args[0]} is missing") from None
        if type(pid) is not str or not pid:
            raise InvalidItemError("patient: field id is missing or not text")
        if type(mrn) is not str or not mrn:
            raise InvalidItemError(f"patient {pid}: field mrn is missing or not text")
        if type(given) is not str or not given:
            raise InvalidItemError(f"patient {pid}: field given_name is missing or not text")
        if type(family) is not str or not family:
            raise InvalidItemError(f"patient {pid}: field family_name is missing or not text")
        if type(birth_date) is not str or not _DATE.match(birth_date):
            raise InvalidItemError(f"patient {pid}: birth_date is not YYYY-MM-DD")
        if type(raw_campaigns) is not list or not raw_campaigns:
            raise InvalidItemError(f"patient {pid}: no campaign assignment")
        if len(raw_campaigns) == 1 and type(raw_campaigns[0]) is str:
            campaigns: list[str] = raw_campaigns
        else:
            campaigns = list(dict.fromkeys(c if type(c) is str else str(c) for c in raw_campaigns))
        packed_campaigns = _SEP.join(campaigns)
        if "" in campaigns or packed_campaigns.count(_SEP) != len(campaigns) - 1:
            raise InvalidItemError(f"patient {pid}: a campaign id is empty or malformed")
        region = ""
        numbers: list[int] = []
        packed: list[str] = []
        e164 = E164.match
        for entry in item.get("phones") or ():
            try:
                number = entry["number"]
                # The server sends E.164: a pattern check, not a parse, unless it is not.
                if type(number) is not str or e164(number) is None:
                    region = region or self._region_for(campaigns)
                    number = to_e164(str(number), region)
                kind = entry.get("kind") or "other"
            except (KeyError, TypeError, AttributeError, InvalidPhoneNumberError):
                log.warning("patient %s: an unreadable phone number was left out", pid)
                continue
            if kind not in _KNOWN_KINDS and not (type(kind) is str and _KIND.match(kind)):
                kind = "other"
            key = int(number[1:])
            if key not in numbers:
                numbers.append(key)
            packed.append(kind + number)
        version = item.get("version", 0)
        if not isinstance(version, int):
            raise InvalidItemError(f"patient {pid}: version is not an integer")
        care_program = item.get("care_program")
        language = item.get("language")
        time_zone = item.get("time_zone")
        row = [
            None,
            pid,
            mrn,
            given,
            family,
            name_key(given),
            name_key(family),
            birth_date,
            language if type(language) is str and language else str(language or "en"),
            time_zone if type(time_zone) is str else str(time_zone or ""),
            1 if item.get("consent_calls") else 0,
            1 if item.get("do_not_call") else 0,
            care_program
            if care_program is None or type(care_program) is str
            else str(care_program),
            _SEP.join(packed),
            packed_campaigns,
            version,
        ]
        return row, numbers, campaigns

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

    # -- reads for the screen-pop and search -----------------------------------------

    def _fetch(self, where: str, params: Sequence[Any]) -> list[PatientRecord]:
        self._check_lock()
        reader = self.reader
        with reader.lock:
            try:
                sql = f"{_FROM_ROWS[self._rows]} {where}"
                rows = reader.conn.execute(sql, params).fetchall()
            except sqlcipher3.Error as exc:
                raise classify(exc, "cache") from None
        record = PatientRecord.from_row
        return [record(row) for row in rows]

    def warm_lookup_index(self, stop: threading.Event | None = None) -> int:
        """Read the whole phone index into the reader's page cache; return entries read.

        Run after open (on a thread) and after a full snapshot, so that a caller-id
        lookup decrypts one page, the patient's row, instead of also an index page. The
        row page cache is filled too (:func:`warm_row_cache`). The reader lock is taken
        per step, so lookups are never held up for long.
        """
        reader = self.reader
        with reader.lock:
            if self._attach is not None:
                self._attach()
                self._attach = None
                self._rows = ROWS
        entries = warm_phone_index(reader.conn, reader.lock, stop)
        warm_row_cache(reader.conn, reader.lock, stop)
        return entries

    def by_phone(self, caller_id: str) -> list[PatientRecord]:
        """Every patient with this number (a household phone gives several)."""
        self._check_lock()
        candidates = caller_candidates(caller_id, self._regions)
        if not candidates:
            return []
        reader = self.reader
        with reader.lock:
            try:
                return lookup_numbers(reader.conn, candidates, self._rows)
            except sqlcipher3.Error as exc:
                raise classify(exc, "cache") from None

    def by_mrn(self, mrn: str) -> list[PatientRecord]:
        return self._fetch("WHERE mrn = ?", (mrn.strip(),))

    def by_name_dob(
        self, family_name: str, birth_date: str, given_name: str | None = None
    ) -> list[PatientRecord]:
        """Exact family name (case, accents and punctuation aside) and date of birth."""
        if not _DATE.match(birth_date):
            raise InvalidItemError("birth date must be YYYY-MM-DD")
        sql = "WHERE family_key = ? AND birth_date = ?"
        params: list[str] = [name_key(family_name), birth_date]
        if given_name:
            sql += " AND given_key = ?"
            params.append(name_key(given_name))
        return self._fetch(sql + " ORDER BY given_key, id", params)

    def get(self, patient_id: str) -> PatientRecord | None:
        rows = self._fetch("WHERE id = ?", (patient_id,))
        return rows[0] if rows else None

    def document(self, feed: str, item_id: str) -> dict[str, Any] | None:
        """A campaign, script or code tree as the server sent it."""
        if feed not in DOCUMENT_FEEDS:
            raise ValueError(f"not a document feed: {feed}")
        self._check_lock()
        rows = self.reader.query(
            "SELECT body FROM documents WHERE feed = ? AND id = ?", (feed, item_id)
        )
        return dict(json.loads(rows[0][0])) if rows else None

    def documents(self, feed: str) -> list[dict[str, Any]]:
        if feed not in DOCUMENT_FEEDS:
            raise ValueError(f"not a document feed: {feed}")
        self._check_lock()
        rows = self.reader.query("SELECT body FROM documents WHERE feed = ? ORDER BY id", (feed,))
        return [dict(json.loads(row[0])) for row in rows]

    def counts(self) -> dict[str, int]:
        counts = {
            "patients": int(self.reader.query("SELECT count(*) FROM patients")[0][0]),
            "phones": int(self.reader.query("SELECT count(*) FROM patient_phones")[0][0]),
        }
        for feed in DOCUMENT_FEEDS:
            counts[feed] = int(
                self.reader.query("SELECT count(*) FROM documents WHERE feed = ?", (feed,))[0][0]
            )
        return counts


def _open_cache(path: Path, key_hex: str, *, cache_mib: int) -> sqlcipher3.Connection:
    """The writer connection; a file from before :data:`CACHE_HMAC` is converted first."""
    conn = open_encrypted(path, key_hex, label="cache", cache_mib=cache_mib, hmac=CACHE_HMAC)
    if page_hmac(conn) == CACHE_HMAC:
        return conn
    try:
        _convert(conn, path, key_hex)
    finally:
        conn.close()
    return open_encrypted(path, key_hex, label="cache", cache_mib=cache_mib, hmac=CACHE_HMAC)


def _convert(conn: sqlcipher3.Connection, path: Path, key_hex: str) -> None:
    """Rewrite the file with :data:`CACHE_HMAC` pages: export to a copy, then swap it in.

    A crash before the swap leaves the old file whole (the copy is discarded and the
    conversion redone at the next open); ``os.replace`` makes the swap atomic.
    """
    copy = path.with_name(path.name + ".convert")
    for side in ("", "-journal", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            copy.with_name(copy.name + side).unlink()
    started = time.monotonic()
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        # The key has been checked to be 64 hex digits by open_encrypted.
        conn.execute(f"ATTACH DATABASE ? AS converted KEY \"x'{key_hex}'\"", (str(copy),))
        conn.execute(f"PRAGMA converted.cipher_hmac_algorithm = {CACHE_HMAC}")
        conn.execute("SELECT sqlcipher_export('converted')").fetchall()
        conn.execute(f"PRAGMA converted.user_version = {version}")
        conn.execute("DETACH DATABASE converted")
    except sqlcipher3.Error as exc:
        raise classify(exc, "cache") from None
    fd = os.open(copy, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    conn.close()
    for side in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + side).unlink()
    copy.replace(path)
    if hasattr(os, "O_DIRECTORY"):
        fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    log.info(
        "cache converted to %s page authentication in %.1f s",
        CACHE_HMAC,
        time.monotonic() - started,
    )


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


def _drop_bulk_indexes(conn: sqlcipher3.Connection) -> None:
    for name in cache_schema.BULK_INDEX_NAMES:
        conn.execute(f"DROP INDEX IF EXISTS {name}")


def _create_bulk_indexes(conn: sqlcipher3.Connection) -> None:
    for statement in cache_schema.BULK_INDEXES:
        conn.execute(statement)


def _check_feed(feed: str) -> None:
    if feed not in FEEDS:
        raise ValueError(f"unknown feed {feed!r} (known: {', '.join(FEEDS)})")


def _str_field(item: Mapping[str, Any], name: str, owner: str) -> str:
    value = item.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidItemError(f"{owner}: field {name} is missing")
    return str(value)


def _item_id(item: object) -> str | None:
    value = item.get("id") if isinstance(item, Mapping) else None
    return value if type(value) is str and value else None


def _safe_id(item: object) -> str:
    if isinstance(item, Mapping):
        value = item.get("id")
        if isinstance(value, str) and len(value) <= 64:
            return value
    return "<no id>"
