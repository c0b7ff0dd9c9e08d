"""The sync loop: push the outbox, pull the feeds, back off while the server is away.

:class:`SyncEngine` runs on its own worker thread (never the UI thread). One round is
measure-clock → push → pull → push (whatever was queued meanwhile). A network failure,
timeout, 5xx or garbage answer marks the server offline and waits with full-jitter backoff;
:meth:`SyncEngine.nudge` (a new disposition, the OS reporting the network back) cuts the wait
short. A 423 with ``wipe`` erases the cache after one last attempt to push the journal.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from agent_app.store.errors import StoreClosedError
from agent_app.sync.backoff import Backoff
from agent_app.sync.errors import (
    CursorGone,
    DeviceRevoked,
    NotSignedIn,
    RequestRejected,
    ServerUnreachable,
    SyncError,
)
from agent_app.sync.ports import FeedCache, Outbox
from agent_app.sync.pull import FeedPuller, PullReport
from agent_app.sync.push import OutboxPusher, PushReport
from agent_app.sync.session import AuthSession
from agent_app.sync.status import StatusTracker

log = logging.getLogger(__name__)
CLOCK_RECHECK_S = 3600.0  # workstation clocks drift; the skew is measured again hourly


@dataclass
class RoundReport:
    push: PushReport
    pull: PullReport | None
    duration_s: float


class SyncEngine:
    def __init__(
        self,
        session: AuthSession,
        outbox: Outbox,
        cache: FeedCache | None,
        tracker: StatusTracker,
        *,
        pull_interval_s: float = 30.0,
        backoff: Backoff | None = None,
        on_revoked: Callable[[bool], None] | None = None,
        on_contact: Callable[[], None] | None = None,
        before_pull: Callable[[], None] | None = None,
    ) -> None:
        self.session = session
        self.outbox = outbox
        self.cache = cache
        self.tracker = tracker
        self.pull_interval_s = pull_interval_s
        self.backoff = backoff or Backoff(base_s=1.0, cap_s=60.0)
        self.pusher = OutboxPusher(outbox, session)
        self.puller = FeedPuller(cache, session) if cache is not None else None
        self._on_revoked = on_revoked
        self._on_contact = on_contact
        self._before_pull = before_pull
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._pull_now = False
        self._thread: threading.Thread | None = None
        self._round_lock = threading.Lock()
        self._clock_checked = -CLOCK_RECHECK_S

    # -- one round -----------------------------------------------------------------

    def _refresh_counts(self) -> None:
        counts = self.outbox.counts()
        reasons: tuple[str, ...] = ()
        parked_items = getattr(self.outbox, "parked", None)
        if counts.parked and callable(parked_items):
            reasons = tuple(str(p.reason)[:120] for p in parked_items()[:3])
        self.tracker.counts(counts.pending + counts.in_flight, counts.parked, reasons)

    def sync_once(self, *, pull: bool = True) -> RoundReport:
        """One full round; raises the :class:`SyncError` that ended it early."""
        with self._round_lock:
            started = time.monotonic()
            self._refresh_counts()
            self.tracker.syncing(True)
            try:
                if (
                    not self.session.api.clock.measured
                    or time.monotonic() - self._clock_checked > CLOCK_RECHECK_S
                ):
                    self.session.api.measure_time()
                    self._clock_checked = time.monotonic()
                push = self.pusher.drain(should_stop=self._stop.is_set)
                self._refresh_counts()
                report = None
                if pull and self.puller is not None:
                    if self._before_pull is not None:
                        self._before_pull()
                    report = self.puller.pull_all(should_stop=self._stop.is_set)
                    more = self.pusher.drain(should_stop=self._stop.is_set)
                    push.acknowledged += more.acknowledged
                    push.parked += more.parked
                    push.batches += more.batches
                    push.parked_ids.extend(more.parked_ids)
            except ServerUnreachable as exc:
                self.tracker.lost_server(str(exc))
                raise
            except DeviceRevoked as exc:
                self._revoked(exc)
                raise
            except NotSignedIn:
                self.tracker.signed_out()
                raise
            else:
                self.tracker.reached_server()
                self.tracker.synced()
                if self._on_contact is not None:
                    self._on_contact()
            finally:
                self.tracker.syncing(False)
                # A revoke with wipe has just closed the journal: nothing left to count.
                with contextlib.suppress(StoreClosedError):
                    self._refresh_counts()
            return RoundReport(push, report, time.monotonic() - started)

    def _revoked(self, exc: DeviceRevoked) -> None:
        log.warning("the server refused this workstation: %s", exc)
        if exc.wipe:
            # The journal is precious: one last attempt to deliver it before the wipe.
            try:
                self.pusher.drain()
            except SyncError as again:
                log.warning("journal not delivered before the wipe (%s)", type(again).__name__)
            self.session.vault.forget(self.session.agent_id)
        self.tracker.revoked()
        if self._on_revoked is not None:
            self._on_revoked(exc.wipe)

    # -- the worker thread ---------------------------------------------------------

    def nudge(self, *, pull: bool = False) -> None:
        """Run a round soon (new work queued, or the network came back); ``pull``: with a
        pull of the server's changes even before the pull interval (the agent's "Try now")."""
        if pull:
            self._pull_now = True
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="pulse-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _wait(self, seconds: float) -> None:
        self._wake.wait(max(0.0, seconds))
        self._wake.clear()

    def _run(self) -> None:
        next_pull = 0.0
        while not self._stop.is_set():
            pull = self._pull_now or time.monotonic() >= next_pull
            self._pull_now = False
            try:
                self.sync_once(pull=pull)
            except (ServerUnreachable, CursorGone, RequestRejected) as exc:
                floor = exc.retry_after_s if isinstance(exc, ServerUnreachable) else None
                delay = self.backoff.next_delay(floor_s=floor)
                log.info("sync round failed (%s); next try in %.1f s", type(exc).__name__, delay)
                self._wait(delay)
                continue
            except DeviceRevoked:
                return
            except NotSignedIn:
                self._wait(3600.0)  # until a new sign-in nudges
                continue
            except Exception:
                log.exception("sync round failed unexpectedly")
                self._wait(self.backoff.next_delay())
                continue
            self.backoff.reset()
            if pull:
                next_pull = time.monotonic() + self.pull_interval_s
            self._wait(max(0.0, next_pull - time.monotonic()))
