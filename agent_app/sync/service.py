"""Sync assembled for one signed-in agent: the server API, tokens, the open store, the engine.

The window and ``pulse-agent sync`` both build a :class:`SyncService`; the workflow hands it
new outbox entries through :meth:`SyncService.enqueue`, which writes them to the journal
(one transaction) and wakes the worker, so a disposition is on its way within a moment when
the server is there and safely queued when it is not.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent_app.foundation import paths
from agent_app.foundation.config import Settings
from agent_app.secrets.protocols import Secrets
from agent_app.sync.api import ServerApi
from agent_app.sync.backoff import Backoff
from agent_app.sync.credentials import TokenVault, agent_key
from agent_app.sync.engine import RoundReport, SyncEngine
from agent_app.sync.offline_login import OfflineVerifier
from agent_app.sync.phone_account import forget_sip_password
from agent_app.sync.ports import FeedPosition
from agent_app.sync.session import AuthSession
from agent_app.sync.status import StatusTracker

if TYPE_CHECKING:
    from agent_app.store.agent_store import AgentStore

log = logging.getLogger(__name__)


def make_api(settings: Settings, *, device_id: str, secrets: Secrets | None = None) -> ServerApi:
    """The server's client; with ``secrets``, it signs with this workstation's enrolled key
    (when it has one)."""
    sync = settings.sync
    return ServerApi(
        sync.server_url,
        device_id=device_id,
        timeout_s=sync.timeout_s,
        verify=sync.ca_bundle or True,
        device_key=secrets.device_signer() if secrets is not None else None,
    )


def make_verifier(settings: Settings, secrets: Secrets) -> OfflineVerifier:
    return OfflineVerifier(secrets, hours=settings.security.offline_login_hours)


def state_file(agent_id: str) -> Path:
    """Where the last sync and the start of an outage are kept (no PHI, no secrets)."""
    digest = hashlib.sha256(agent_key(agent_id).encode("utf-8")).hexdigest()[:16]
    return paths.data_dir() / "sync" / f"status-{digest}.json"


class _StoreCache:
    """The store's current cache file, looked up on every call (a rebuild replaces it)."""

    def __init__(self, store: AgentStore) -> None:
        self._store = store

    def feed_state(self, feed: str) -> FeedPosition:
        return self._store.cache.feed_state(feed)

    def apply_snapshot(
        self,
        feed: str,
        items: Sequence[Mapping[str, Any]],
        *,
        cursor: str,
        first: bool,
        last: bool,
    ) -> object:
        return self._store.cache.apply_snapshot(feed, items, cursor=cursor, first=first, last=last)

    def apply_delta(
        self,
        feed: str,
        upserts: Sequence[Mapping[str, Any]],
        deletions: Sequence[str],
        *,
        cursor: str,
    ) -> object:
        return self._store.cache.apply_delta(feed, upserts, deletions, cursor=cursor)

    def reset_feed(self, feed: str) -> None:
        self._store.cache.reset_feed(feed)


class SyncService:
    def __init__(
        self,
        *,
        api: ServerApi,
        vault: TokenVault,
        store: AgentStore,
        agent_id: str,
        pull_interval_s: float = 30.0,
        backoff: Backoff | None = None,
        verifier: OfflineVerifier | None = None,
    ) -> None:
        self.api = api
        self.store = store
        # Entries queued without a time (audit events) take the server-corrected one.
        store.journal.clock = api.clock.now_iso
        self.agent_id = agent_key(agent_id)
        self.verifier = verifier
        self.session = AuthSession(api, vault, agent_id)
        self.tracker = StatusTracker(state_file(agent_id))
        self.engine = SyncEngine(
            self.session,
            store.journal,
            _StoreCache(store),
            self.tracker,
            pull_interval_s=pull_interval_s,
            backoff=backoff,
            on_revoked=self._revoked,
            on_contact=store.record_server_contact,
            before_pull=self._rebuild_cache_if_needed,
        )

    def enqueue(self, kind: str, payload: Mapping[str, Any], *, call_id: str | None = None) -> str:
        """Queue one item for the server (timestamped in server time) and wake the worker."""
        item_id = self.store.journal.enqueue(
            kind, payload, call_id=call_id, created_at=self.api.clock.now_iso()
        )
        # The exact counts come with the next round; counting the outbox here would make
        # a long offline queue slower to add to with every item.
        self.tracker.queued_one()
        self.engine.nudge()
        return item_id

    def sync_once(self, *, pull: bool = True) -> RoundReport:
        return self.engine.sync_once(pull=pull)

    def start(self) -> None:
        self.engine.start()

    def stop(self) -> None:
        self.engine.stop()

    def _rebuild_cache_if_needed(self) -> None:
        # The store's background integrity check found the cache damaged: start it over;
        # its cursors go with it, so this round's pull is a full snapshot.
        reason = self.store.cache_needs_rebuild
        if reason:
            self.store.rebuild_cache(reason)

    def _revoked(self, wipe: bool) -> None:
        if not wipe:
            return
        if self.verifier is not None:
            self.verifier.forget(self.agent_id)
        forget_sip_password(self.session.vault.secrets, self.agent_id)
        unsynced = self.store.journal.counts().unsynced
        if unsynced:
            # Undelivered work is kept (encrypted, its key in the keyring) for IT to
            # recover; the rebuildable cache goes now.
            log.warning("revoked: cache wiped; %d journal entries kept undelivered", unsynced)
            self.store.wipe_cache()
        else:
            self.store.wipe_for_revoke()


def wipe_agent_store(agent_id: str, *, secrets: Secrets, workstation_id: str) -> None:
    """The server revoked this workstation at sign-in: erase the agent's local data.

    Entries the server never acknowledged are kept (the journal stays encrypted, its key in
    the keyring) so that nothing recorded is lost; the rebuildable cache and the agent's SIP
    password always go.
    """
    from agent_app.store.agent_store import AgentStore
    from agent_app.store.errors import StoreError

    forget_sip_password(secrets, agent_id)

    try:
        store = AgentStore.open(
            agent_id=agent_id, workstation_id=workstation_id, secrets=secrets, verify="none"
        )
    except StoreError as exc:
        log.warning("revoked: the store could not be opened to wipe it (%s)", exc)
        return
    try:
        if store.journal.counts().unsynced:
            store.wipe_cache()
        else:
            store.wipe_for_revoke()
    finally:
        store.close()
