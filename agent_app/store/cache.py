"""The patient cache: one file of this agent's patients, campaigns, scripts and code trees."""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agent_app.foundation import heap
from agent_app.store import cache_schema
from agent_app.store.cache_file import CACHE_HMAC, open_cache
from agent_app.store.cache_lookup import attach_rows
from agent_app.store.cache_reader import CacheReader
from agent_app.store.cache_regions import CampaignRegions
from agent_app.store.cache_writer import ApplyResult, CacheWriter, FeedState
from agent_app.store.connection import Db, integrity_problems, open_encrypted
from agent_app.store.migrations import migrate, schema_version
from agent_app.store.records import PatientRecord


class PatientCache:
    """One cache file, opened with its raw key: a writer for sync pages, a reader for lookups.

    Rebuildable from the server, so any trouble with the file (wrong key, damage, a schema
    from a newer Pulse) ends with it set aside and a fresh one filled by a snapshot. The
    sync layer writes pages through :meth:`apply_snapshot` and :meth:`apply_delta`, one
    transaction per page (:class:`~agent_app.store.cache_writer.CacheWriter`); the
    screen-pop reads through :meth:`by_phone` and friends on a separate reader connection
    with a large page cache (:class:`~agent_app.store.cache_reader.CacheReader`), so a
    sync page being written never delays a lookup (WAL lets both run).
    """

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
        regions = CampaignRegions(self.default_region)
        writer = Db(open_cache(path, key_hex, cache_mib=32), "cache")
        try:
            writes = CacheWriter(writer, regions)
            self.schema_before, _ = migrate(writer, cache_schema.STEPS)
            reader = open_encrypted(
                path, key_hex, label="cache", cache_mib=page_cache_mib, hmac=CACHE_HMAC
            )
        except BaseException:
            writer.close()
            raise
        self._writes = writes
        # Patient rows are read through ``main`` until the preload attaches ROWS.
        self._reads = CacheReader(
            Db(reader, "cache"), regions, functools.partial(attach_rows, reader, path, key_hex)
        )
        regions.load(writer)
        writes.restore_indexes()

    # -- life cycle -------------------------------------------------------------------

    def close(self) -> None:
        self._reads.close()
        self._writes.close()

    @property
    def writer(self) -> Db:
        return self._writes.db

    @property
    def reader(self) -> Db:
        return self._reads.db

    def schema_version(self) -> int:
        return schema_version(self.writer)

    def integrity_problems(self) -> list[str]:
        with self.writer.lock:
            return integrity_problems(self.writer.conn, "cache")

    def lock(self, reason: str) -> None:
        """Refuse lookups until :meth:`unlock` (revoked, or locked by IT)."""
        self._reads.lock(reason)

    def unlock(self) -> None:
        self._reads.unlock()

    def set_lock_deadline(self, epoch_seconds: float) -> None:
        """Lookups are refused after this moment (the offline limit) until it moves."""
        self._reads.set_lock_deadline(epoch_seconds)

    def lock_reason(self, now: float | None = None) -> str | None:
        return self._reads.lock_reason(now)

    # -- writes from the sync layer ---------------------------------------------------

    def feed_state(self, feed: str) -> FeedState:
        return self._writes.feed_state(feed)

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
        result = self._writes.apply_snapshot(feed, items, cursor=cursor, first=first, last=last)
        if last:
            # The snapshot's pages would stay in the writer's page cache (up to 32 MiB) for
            # the rest of the shift; the deltas that follow are small.
            self.writer.release_memory()
            heap.trim()
        if last and feed == "patients":
            # The reader's page cache was emptied by the new slice: load the phone index.
            self.warm_lookup_index()
        return result

    def apply_delta(
        self,
        feed: str,
        upserts: Sequence[Mapping[str, Any]],
        deletions: Sequence[str],
        *,
        cursor: str,
    ) -> ApplyResult:
        """One page of changes since the feed's cursor, in one transaction."""
        return self._writes.apply_delta(feed, upserts, deletions, cursor=cursor)

    def reset_feed(self, feed: str) -> None:
        """Forget the feed's cursor (the server answered 410): the next pull is a snapshot."""
        self._writes.reset_feed(feed)

    def purge_unassigned(self) -> int:
        """Drop patients none of whose campaigns is still in this agent's campaign list."""
        return self._writes.purge_unassigned()

    # -- reads for the screen-pop and search -----------------------------------------

    def warm_lookup_index(self, stop: threading.Event | None = None) -> int:
        """Read the whole phone index into the reader's page cache; return entries read."""
        return self._reads.warm_lookup_index(stop)

    def by_phone(self, caller_id: str) -> list[PatientRecord]:
        """Every patient with this number (a household phone gives several)."""
        return self._reads.by_phone(caller_id)

    def by_mrn(self, mrn: str) -> list[PatientRecord]:
        return self._reads.by_mrn(mrn)

    def by_name_dob(
        self, family_name: str, birth_date: str, given_name: str | None = None
    ) -> list[PatientRecord]:
        """Exact family name (case, accents and punctuation aside) and date of birth."""
        return self._reads.by_name_dob(family_name, birth_date, given_name)

    def get(self, patient_id: str) -> PatientRecord | None:
        return self._reads.get(patient_id)

    def document(self, feed: str, item_id: str) -> dict[str, Any] | None:
        """A campaign, script or code tree as the server sent it."""
        return self._reads.document(feed, item_id)

    def documents(self, feed: str) -> list[dict[str, Any]]:
        return self._reads.documents(feed)

    def counts(self) -> dict[str, int]:
        return self._reads.counts()
