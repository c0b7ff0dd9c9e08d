"""An agent's encrypted store on this workstation: the cache and the journal, opened together.

:meth:`AgentStore.open` is the one entry point. It takes the instance lock, fetches
the keys from the keyring (making them at provisioning), opens and migrates both files,
and recovers from every known failure in the way its duty allows:

* the **cache** (rebuildable) that has no key, the wrong key, damaged pages or a schema
  from a newer Pulse is set aside and replaced by an empty one, whose feeds then start
  from a snapshot (its cursors are inside it, so they reset with it);
* the **journal** (precious) is never deleted while it may hold unsynced entries: a
  journal that cannot be opened raises its named error, and only when the caller asks
  (``recover_journal=True``) is it renamed aside, kept for IT, and a new one started.

It also carries the retention rules: the offline limit that locks the cache, the purge of
unassigned patients (in the cache), and the wipe on a remote revoke.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

from agent_app.foundation import heap
from agent_app.foundation.redaction import register_phi
from agent_app.secrets.protocols import Secrets
from agent_app.store import desk
from agent_app.store.cache import PatientCache
from agent_app.store.cache_file import CACHE_HMAC
from agent_app.store.cache_items import FEEDS
from agent_app.store.connection import HMAC_SHA512, integrity_problems, open_encrypted, rekey
from agent_app.store.errors import (
    CorruptStoreError,
    KeyMissingError,
    SchemaTooNewError,
    StoreClosedError,
    UnsyncedEntriesError,
    WrongKeyError,
)
from agent_app.store.instance_lock import InstanceLock
from agent_app.store.journal import LAST_SERVER_CONTACT, Journal, utc_now
from agent_app.store.keys import StoreKeys
from agent_app.store.layout import StoreLayout, remember_last_agent
from agent_app.store.names import name_key
from agent_app.store.records import PatientRecord

log = logging.getLogger(__name__)

T = TypeVar("T", PatientCache, Journal)
Verify = Literal["full", "background", "none"]
"""When to run ``cipher_integrity_check``: during open, on a thread after open, or not.

A full check reads and authenticates every page (about 5 s for a million patients), so
the app opens with ``background``: lookups work at once and a damaged cache is locked and
flagged for rebuild when the check finds it. The journal, small, is always checked
during open unless ``none``."""
_UNOPENABLE = (KeyMissingError, WrongKeyError, CorruptStoreError, SchemaTooNewError)
_REASONS: dict[type[Exception], str] = {
    KeyMissingError: "key-missing",
    WrongKeyError: "wrong-key",
    CorruptStoreError: "corrupt",
    SchemaTooNewError: "schema-too-new",
}


@dataclass
class OpenReport:
    """What :meth:`AgentStore.open` found and did, for the log and for IT."""

    provisioned: list[str] = field(default_factory=list)
    cache_rebuilt: str | None = None  # the reason, e.g. "wrong-key"
    cache_set_aside: Path | None = None
    journal_set_aside: Path | None = None
    journal_requeued: int = 0
    rotations_completed: list[str] = field(default_factory=list)


def _parse_utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class AgentStore:
    def __init__(
        self,
        *,
        layout: StoreLayout,
        keys: StoreKeys,
        lock: InstanceLock,
        journal: Journal,
        cache: PatientCache,
        report: OpenReport,
        max_offline_hours: float,
        cache_options: dict[str, Any],
    ) -> None:
        self.layout = layout
        self._keys = keys
        self._lock = lock
        self._journal: Journal | None = journal
        self._cache: PatientCache | None = cache
        self.report = report
        self.max_offline = timedelta(hours=max_offline_hours)
        self._cache_options = cache_options
        self._last_contact: datetime | None = None
        self._verified = threading.Event()
        self._verification: list[str] | None = None
        self.cache_needs_rebuild: str | None = None
        self._warm_stop = threading.Event()
        self._warm_thread: threading.Thread | None = None
        self._load_last_contact()

    # -- opening ------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        agent_id: str,
        workstation_id: str,
        secrets: Secrets,
        data_dir: Path | None = None,
        default_region: str = "US",
        max_offline_hours: float = 72.0,
        page_cache_mib: int = 64,
        verify: Verify = "full",
        repair_cache: bool = True,
        recover_journal: bool = False,
        remember_agent: bool = True,
    ) -> AgentStore:
        """Open (provisioning on first use) the agent's cache and journal.

        Raises :class:`StoreInUseError` when another Pulse holds the files; journal
        failures raise their named error unless ``recover_journal``; cache failures raise
        only when ``repair_cache`` is false.
        """
        layout = StoreLayout.for_agent(agent_id, data_dir)
        layout.ensure()
        lock = InstanceLock(layout.lock)
        lock.acquire()
        keys = StoreKeys(secrets, agent_id, workstation_id)
        report = OpenReport()
        cache_options: dict[str, Any] = {
            "default_region": default_region,
            "page_cache_mib": page_cache_mib,
        }
        journal: Journal | None = None
        cache: PatientCache | None = None
        try:
            journal = cls._open_or_recover(
                "journal",
                layout,
                keys,
                report,
                lambda key: Journal(layout.journal, key, agent_id=agent_id),
                verify=verify != "none",
                repair=recover_journal,
            )
            report.journal_requeued = journal.recovered_in_flight
            cache = cls._open_or_recover(
                "cache",
                layout,
                keys,
                report,
                lambda key: PatientCache(layout.cache, key, **cache_options),
                verify=verify == "full",
                repair=repair_cache,
            )
            store = cls(
                layout=layout,
                keys=keys,
                lock=lock,
                journal=journal,
                cache=cache,
                report=report,
                max_offline_hours=max_offline_hours,
                cache_options=cache_options,
            )
        except BaseException:
            for part in (cache, journal):
                if part is not None:
                    part.close()
            lock.release()
            raise
        if remember_agent:
            remember_last_agent(agent_id, data_dir)
        store._start_lookup_warm()
        if verify == "background":
            store.start_cache_verification()
        log.info(
            "store opened for agent %s: provisioned=%s cache_rebuilt=%s requeued=%d",
            agent_id,
            ",".join(report.provisioned) or "-",
            report.cache_rebuilt or "-",
            report.journal_requeued,
        )
        return store

    @staticmethod
    def _open_or_recover(
        which: str,
        layout: StoreLayout,
        keys: StoreKeys,
        report: OpenReport,
        opener: Callable[[str], T],
        *,
        verify: bool,
        repair: bool,
    ) -> T:
        path = layout.cache if which == "cache" else layout.journal
        if not path.exists():
            report.provisioned.append(which)
            return opener(keys.create(which))
        try:
            return AgentStore._open_existing(which, keys, report, opener, verify=verify)
        except _UNOPENABLE as exc:
            if not repair:
                raise
            reason = _REASONS[type(exc)]
            aside = layout.set_aside(path, reason)
            log.warning("%s set aside (%s) as %s", which, reason, aside.name)
            if which == "cache":
                report.cache_rebuilt = reason
                report.cache_set_aside = aside
                # An unreadable cache is of no use to anyone: keep only the newest.
                for old in layout.set_aside_files(path):
                    if old != aside:
                        layout.remove(old)
            else:
                report.journal_set_aside = aside
            report.provisioned.append(which)
            return opener(keys.create(which))

    @staticmethod
    def _open_existing(
        which: str,
        keys: StoreKeys,
        report: OpenReport,
        opener: Callable[[str], T],
        *,
        verify: bool,
    ) -> T:
        key, pending = keys.get(which), keys.pending(which)
        if key is None and pending is None:
            raise KeyMissingError(f"{which}: the keyring holds no key for the existing file")
        opened: T | None = None
        if key is not None:
            try:
                opened = opener(key)
            except WrongKeyError:
                if pending is None:
                    raise
        if opened is None:
            assert pending is not None
            # A rotation rekeyed the file but stopped before promoting its key.
            opened = opener(pending)
            keys.finish_rotation(which, pending)
            report.rotations_completed.append(which)
        elif pending is not None:
            keys.abandon_rotation(which)  # the rotation stopped before the rekey
        if verify:
            problems = opened.integrity_problems()
            if problems:
                opened.close()
                log.warning("%s failed its integrity check (%d problems)", which, len(problems))
                raise CorruptStoreError(f"{which}: {len(problems)} damaged pages or structures")
        return opened

    # -- parts ----------------------------------------------------------------------------

    @property
    def cache(self) -> PatientCache:
        if self._cache is None:
            raise StoreClosedError("store: closed")
        return self._cache

    @property
    def journal(self) -> Journal:
        if self._journal is None:
            raise StoreClosedError("store: closed")
        return self._journal

    def _start_lookup_warm(self) -> None:
        """Load the phone index into the reader's page cache on a thread (see the cache)."""
        cache = self.cache
        self._warm_stop.clear()

        def warm() -> None:
            started = time.monotonic()
            try:
                entries = cache.warm_lookup_index(self._warm_stop)
            except Exception as exc:  # a closed or damaged cache: lookups will say so
                log.debug("phone index not preloaded (%s)", type(exc).__name__)
                return
            log.debug(
                "phone index preloaded: %d entries, %.3f s", entries, time.monotonic() - started
            )

        self._warm_thread = threading.Thread(target=warm, name="cache-warm", daemon=True)
        self._warm_thread.start()

    def _stop_lookup_warm(self) -> None:
        self._warm_stop.set()
        if self._warm_thread is not None:
            self._warm_thread.join(timeout=30)
            self._warm_thread = None

    def close(self) -> None:
        self._stop_lookup_warm()
        for part in (self._cache, self._journal):
            if part is not None:
                part.close()
        self._cache = self._journal = None
        self._lock.release()

    def __enter__(self) -> AgentStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- background integrity check of the cache -----------------------------------------

    def start_cache_verification(self) -> None:
        self._verified.clear()
        threading.Thread(target=self._verify_cache, name="cache-verify", daemon=True).start()

    def _verify_cache(self) -> None:
        problems: list[str]
        try:
            key = self._keys.get("cache")
            if key is None:
                problems = ["the cache key disappeared from the keyring"]
            else:
                conn = open_encrypted(self.layout.cache, key, label="cache", hmac=CACHE_HMAC)
                try:
                    problems = integrity_problems(conn, "cache")
                finally:
                    conn.close()
                    heap.trim()  # the check read every page through a cache of its own
        except Exception as exc:
            problems = [f"check could not run ({type(exc).__name__})"]
        if problems:
            cache = self._cache
            if cache is not None:
                cache.lock("integrity check failed; the cache must be rebuilt")
            self.cache_needs_rebuild = "corrupt"
            log.warning("cache failed its integrity check (%d problems)", len(problems))
        self._verification = problems
        self._verified.set()

    def wait_for_verification(self, timeout: float | None = None) -> list[str] | None:
        """Problems found by the background check ([] = sound); None if still running."""
        if not self._verified.wait(timeout):
            return None
        return self._verification

    # -- server contact and the offline limit --------------------------------------------

    def _load_last_contact(self) -> None:
        text = self.journal.get_state(LAST_SERVER_CONTACT)
        if text is None:
            # A new journal is made right after an online sign-in: that is a contact.
            self.record_server_contact()
            return
        self._last_contact = _parse_utc(text)
        self._apply_offline_deadline()

    def record_server_contact(self, at: datetime | None = None) -> None:
        """The server answered (sync, sign-in): unlock and restart the offline clock."""
        at = datetime.now(UTC) if at is None else at
        self.journal.set_state(LAST_SERVER_CONTACT, at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
        self._last_contact = at
        self._apply_offline_deadline()

    def _apply_offline_deadline(self) -> None:
        assert self._last_contact is not None
        deadline = (self._last_contact + self.max_offline).timestamp()
        self.cache.set_lock_deadline(deadline)

    # -- lookups with their audit events ---------------------------------------------------

    def caller_lookup(self, caller_id: str) -> list[PatientRecord]:
        """Screen-pop: who has this number. Not audited here: the card's view is."""
        return _watched(self.cache.by_phone(caller_id))

    def search_mrn(self, mrn: str, *, reason: str) -> list[PatientRecord]:
        found = _watched(self.cache.by_mrn(mrn))
        self.journal.audit(
            "search",
            patient_id=found[0].id if len(found) == 1 else None,
            reason=reason,
            result=f"mrn: {len(found)} match(es)",
        )
        return found

    def search_name_dob(
        self, family_name: str, birth_date: str, *, given_name: str | None = None, reason: str
    ) -> list[PatientRecord]:
        found = _watched(self.cache.by_name_dob(family_name, birth_date, given_name))
        self.journal.audit(
            "search",
            patient_id=found[0].id if len(found) == 1 else None,
            reason=reason,
            result=f"name+dob: {len(found)} match(es)",
        )
        return found

    def record_view(self, patient_id: str, *, reason: str) -> None:
        self.journal.audit("view", patient_id=patient_id, reason=reason)

    def record_reveal(self, patient_id: str, field_name: str, *, reason: str) -> None:
        self.journal.audit("reveal", patient_id=patient_id, reason=reason, result=field_name)

    def verify_identity(
        self,
        patient_id: str,
        *,
        family_name: str,
        birth_date: str,
        given_name: str | None = None,
        reason: str,
    ) -> bool:
        """Do the identifiers the caller gave match the record? The result is audited."""
        record = self.cache.get(patient_id)
        ok = (
            record is not None
            and name_key(record.family_name) == name_key(family_name)
            and record.birth_date == birth_date.strip()
            and (given_name is None or name_key(record.given_name) == name_key(given_name))
        )
        self.journal.audit(
            "verify_identity",
            patient_id=patient_id,
            reason=reason,
            result="verified" if ok else "not verified",
        )
        return ok

    # -- the desk's lists and the phone account (no PHI: no audit, no offline lock) ---------

    def directory(self, campaign_id: str | None) -> list[desk.DirectoryEntry]:
        """The campaign's transfer targets, as last synced (None: every campaign's)."""
        return desk.directory(self.cache, campaign_id)

    def campaign_settings(self, campaign_id: str) -> desk.CampaignSettings | None:
        """The campaign's after-call work time and calling window, as last synced."""
        return desk.campaign_settings(self.cache, campaign_id)

    def not_ready_reasons(self) -> list[desk.NotReadyReason]:
        return desk.not_ready_reasons(self.cache)

    def phone_account(self) -> desk.PhoneAccount | None:
        """The SIP account the server last gave this agent (None: none known)."""
        return desk.phone_account(self.cache)

    def save_phone_account(self, account: desk.PhoneAccount | None) -> None:
        desk.save_phone_account(self.cache, account)

    # -- maintenance ------------------------------------------------------------------------

    def rebuild_cache(self, reason: str) -> None:
        """Set the cache aside and start an empty one (its feeds then snapshot again)."""
        if self._cache is not None:
            self._stop_lookup_warm()
            self._cache.close()
            self._cache = None
        aside = self.layout.set_aside(self.layout.cache, reason)
        for old in self.layout.set_aside_files(self.layout.cache):
            if old != aside:
                self.layout.remove(old)
        self._cache = PatientCache(
            self.layout.cache, self._keys.create("cache"), **self._cache_options
        )
        self.report.cache_rebuilt, self.report.cache_set_aside = reason, aside
        self.cache_needs_rebuild = None
        if self._last_contact is not None:
            self._apply_offline_deadline()
        log.warning("cache set aside (%s) and rebuilt empty", reason)

    def rekey(self, which: str) -> None:
        """Rotate one file's key (``PRAGMA rekey``), safe against a crash at any step."""
        if which not in ("cache", "journal"):
            raise ValueError(f"unknown store {which!r}")
        path = self.layout.cache if which == "cache" else self.layout.journal
        current = self._keys.get(which)
        if current is None:
            raise KeyMissingError(f"{which}: no key to rotate")
        agent_id = self.journal.agent_id
        if which == "cache":
            self._stop_lookup_warm()
            self.cache.close()
            self._cache = None
        else:
            self.journal.close()
            self._journal = None
        new = self._keys.begin_rotation(which)
        try:
            conn = open_encrypted(
                path, current, label=which, hmac=CACHE_HMAC if which == "cache" else HMAC_SHA512
            )
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
                rekey(conn, new, which)
            finally:
                conn.close()
        except BaseException:
            # The file still opens with the current key: undo, reopen, report.
            self._keys.abandon_rotation(which)
            new = current
            raise
        else:
            self._keys.finish_rotation(which, new)
        finally:
            if which == "cache":
                self._cache = PatientCache(path, new, **self._cache_options)
                if self._last_contact is not None:
                    self._apply_offline_deadline()
                self._start_lookup_warm()
            else:
                self._journal = Journal(path, new, agent_id=agent_id)
        log.info("%s key rotated", which)

    def wipe_cache(self) -> None:
        """Delete the cache and its key (IT, or a purge); the journal is untouched."""
        if self._cache is not None:
            self._stop_lookup_warm()
            self._cache.close()
            self._cache = None
        self._keys.delete("cache")
        self.layout.remove(self.layout.cache)
        for old in self.layout.set_aside_files(self.layout.cache):
            self.layout.remove(old)

    def wipe_journal(self, *, discard_unsynced: bool = False) -> None:
        unsynced = self.journal.counts().unsynced
        # An unfinished wrap-up is work the server has never seen either.
        drafts = len(self.journal.drafts())
        if (unsynced or drafts) and not discard_unsynced:
            raise UnsyncedEntriesError(
                f"journal holds {unsynced} entries the server has not acknowledged"
                f" and {drafts} unfinished wrap-ups"
            )
        self.journal.close()
        self._journal = None
        self._keys.delete("journal")
        self.layout.remove(self.layout.journal)

    def wipe_for_revoke(self) -> None:
        """The server revoked this device: every file and key goes, then the store closes.

        Removing the keys first makes any copy of the files unreadable even if a delete
        fails half-way.
        """
        for which in ("cache", "journal"):
            with contextlib.suppress(Exception):
                self._keys.delete(which)
        self._stop_lookup_warm()
        for part in (self._cache, self._journal):
            if part is not None:
                part.close()
        self._cache = self._journal = None
        for db in (self.layout.cache, self.layout.journal):
            self.layout.remove(db)
            for old in self.layout.set_aside_files(db):
                self.layout.remove(old)
        self._lock.release()
        log.warning("store wiped after a remote revoke")

    def file_sizes(self) -> dict[str, int]:
        sizes = {}
        for which, db in (("cache", self.layout.cache), ("journal", self.layout.journal)):
            sizes[which] = sum(p.stat().st_size for p in self.layout.files(db) if p.exists())
        return sizes

    def status(self) -> dict[str, Any]:
        """Counts, schema versions, sizes, last sync: for ``pulse-agent cache status``."""
        counts = self.journal.counts()
        feeds = {feed: self.cache.feed_state(feed) for feed in FEEDS}
        contact = self._last_contact
        cache_counts = self.cache.counts()
        return {
            "directory": str(self.layout.directory),
            "schema": {
                "cache": self.cache.schema_version(),
                "journal": self.journal.schema_version(),
            },
            "sizes_bytes": self.file_sizes(),
            "cache": cache_counts,
            "feeds": {
                f: {
                    "last_sync_at": s.last_sync_at,
                    "snapshot_in_progress": s.snapshot_cursor is not None,
                }
                for f, s in feeds.items()
            },
            "outbox": {
                "pending": counts.pending,
                "in_flight": counts.in_flight,
                "parked": counts.parked,
                "by_kind": counts.by_kind,
            },
            "last_server_contact": None if contact is None else contact.isoformat(),
            "cache_locked": self.cache.lock_reason(time.time()),
            "set_aside": [
                p.name
                for db in (self.layout.cache, self.layout.journal)
                for p in self.layout.set_aside_files(db)
            ],
            "checked_at": utc_now(),
        }


def _watched(records: list[PatientRecord]) -> list[PatientRecord]:
    """Names that left the store are known to the log redactor from now on."""
    for record in records:
        register_phi(record.given_name, record.family_name)
    return records
