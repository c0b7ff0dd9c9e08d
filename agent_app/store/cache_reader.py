"""The cache's reader: caller-id lookups and searches, refused while the cache is locked."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import sqlcipher3

from agent_app.store.cache_items import DOCUMENT_FEEDS, ISO_DATE
from agent_app.store.cache_lookup import FROM_ROWS, ROWS, lookup_numbers
from agent_app.store.cache_regions import CampaignRegions
from agent_app.store.cache_warming import warm_phone_index, warm_row_cache
from agent_app.store.connection import Db, classify
from agent_app.store.errors import CacheLockedError, InvalidItemError, StoreClosedError
from agent_app.store.names import name_key
from agent_app.store.phones import caller_candidates
from agent_app.store.records import PatientRecord

OFFLINE_LIMIT_REASON = "too long without reaching the server"
"""The lock reason once ``sync.max_offline_hours`` have passed without the server."""


class CacheReader:
    """The reader connection of a cache file, with a large page cache for the phone index.

    It is separate from the writer so that a sync page being written never delays a
    lookup (WAL lets both run). ``attach`` attaches the file again as :data:`ROWS`; the
    preload (:meth:`warm_lookup_index`) calls it once, and patient rows are read through
    ``main`` until then.
    """

    def __init__(self, db: Db, regions: CampaignRegions, attach: Callable[[], None]) -> None:
        self._db: Db | None = db
        self._regions = regions
        self._rows = "main"
        self._attach: Callable[[], None] | None = attach
        self._locked_reason: str | None = None
        self._lock_deadline = math.inf

    @property
    def db(self) -> Db:
        if self._db is None:
            raise StoreClosedError("cache: closed")
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
        self._db = None

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
            return OFFLINE_LIMIT_REASON
        return None

    def _check_lock(self) -> None:
        reason = self.lock_reason()
        if reason is not None:
            raise CacheLockedError(f"cache locked: {reason}")

    def _fetch(self, where: str, params: Sequence[Any]) -> list[PatientRecord]:
        self._check_lock()
        reader = self.db
        with reader.lock:
            try:
                sql = f"{FROM_ROWS[self._rows]} {where}"
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
        reader = self.db
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
        candidates = caller_candidates(caller_id, self._regions.ordered)
        if not candidates:
            return []
        reader = self.db
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
        if ISO_DATE.fullmatch(birth_date) is None:
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
        rows = self.db.query(
            "SELECT body FROM documents WHERE feed = ? AND id = ?", (feed, item_id)
        )
        return dict(json.loads(rows[0][0])) if rows else None

    def documents(self, feed: str) -> list[dict[str, Any]]:
        if feed not in DOCUMENT_FEEDS:
            raise ValueError(f"not a document feed: {feed}")
        self._check_lock()
        rows = self.db.query("SELECT body FROM documents WHERE feed = ? ORDER BY id", (feed,))
        return [dict(json.loads(row[0])) for row in rows]

    def counts(self) -> dict[str, int]:
        counts = {
            "patients": int(self.db.query("SELECT count(*) FROM patients")[0][0]),
            "phones": int(self.db.query("SELECT count(*) FROM patient_phones")[0][0]),
        }
        for feed in DOCUMENT_FEEDS:
            counts[feed] = int(
                self.db.query("SELECT count(*) FROM documents WHERE feed = ?", (feed,))[0][0]
            )
        return counts
