"""A campaign session: the agent works an outbound list, one leased patient at a time.

:class:`CampaignSession` asks a :class:`LeaseSource` (the server, through the sync layer's
client) for the next patient of a campaign as a lease, shows it (the card, the script and
the attempt history: :attr:`lease`, :meth:`attempts`, :meth:`verdict`), and then:

- **preview**: the agent dials (:meth:`dial`) or skips with a reason (:meth:`skip`, which
  releases the lease);
- **progressive**: once the agent is Ready with no call and no after-call work, the desk
  counts down :attr:`preview_s` seconds (:meth:`poll`) and dials by itself; the agent may
  skip during the countdown.

Every call goes through ``AgentSession.dial``,
so the calling rules refuse a forbidden one there; a leased patient the rules forbid is
released with the rule's reason and the next one is asked for.

Offline: while the server answers, the session keeps a small pre-leased batch
(:attr:`batch_size`) in the journal's state; when the server cannot be reached the next
patient comes from that batch (expired leases are dropped: the server gave those patients
back to the list).

The server's requests (the next patient, the offline batch, a release, the callbacks) go
through a :data:`Runner`: inline by default; the desk's view hands it a worker thread, whose
answers come back on the GUI thread, so that a slow server never freezes the window. While
the next patient is being asked for (:attr:`asking`) a second request is not sent.

The session is plain Python and not thread-safe: the desk drives it from the GUI thread (a
runner's jobs only call the :class:`LeaseSource`, and its ``done`` runs on that thread).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from agent_app.store.errors import StoreError
from agent_app.sync.errors import (
    AuthExpired,
    DeviceRevoked,
    NotSignedIn,
    RequestRejected,
    ServerUnreachable,
)
from agent_app.workflow.agent_session import AgentSession
from agent_app.workflow.agent_state import AgentState
from agent_app.workflow.dial_rules import ALLOWED, Attempt, Verdict
from agent_app.workflow.disposition import SYSTEM_CODES, Failure, parse_time, utc_text
from agent_app.workflow.events import (
    AgentStateChanged,
    CallFinished,
    Listeners,
    WorkflowEvent,
    WrapUpDone,
)

log = logging.getLogger(__name__)

BATCH_STATE = "outbound.batch"
"""Journal state key: the pre-leased batch kept for working offline (JSON)."""
SKIP_REASONS: tuple[tuple[str, str], ...] = (
    ("wrong_list", "Not for this campaign"),
    ("needs_review", "Record needs review first"),
    ("already_reached", "Already reached today"),
    ("other", "Other"),
)
"""Skip reason codes and their labels (source text: views translate)."""


NOTHING_TO_CALL = "No patient to call in this campaign right now."
LEASE_EXPIRED = "The lease ran out; the patient went back to the list."
NO_NUMBER = "The patient has no number to call."
CALLBACK_DUE = "A callback is due: it is on the callbacks list."
SERVER_DOWN = "The server cannot be reached and no patient is kept on this desk: try again shortly."
FROM_BATCH = "The server cannot be reached: this patient is one of those kept on this desk."
MESSAGES = (NOTHING_TO_CALL, LEASE_EXPIRED, NO_NUMBER, CALLBACK_DUE, SERVER_DOWN, FROM_BATCH)
"""What the session tells the agent (source text: views translate, context "Workflow")."""


def voicemail_message(campaign: Mapping[str, Any] | None, folder: Path) -> str | None:
    """The campaign's approved voicemail message: the WAV file it names (``voicemail_message``,
    a bare file name) in ``folder``; None when it names none or the file is not there."""
    name = None if campaign is None else campaign.get("voicemail_message")
    if not isinstance(name, str) or not name or Path(name).name != name:
        return None  # a path is never taken from the server: only a name in the folder
    path = folder / name
    return str(path) if path.is_file() else None


DEFAULT_PREVIEW_S = 5.0
MAX_PREVIEW_S = 120.0
"""The longest preview the desk counts down (the server's bound too)."""


def preview_seconds(campaign: Mapping[str, Any] | None) -> float:
    """The campaign's progressive preview, ``preview_s`` seconds; the desk's default when it
    names none (a server from before it) or one out of bounds."""
    value = None if campaign is None else campaign.get("preview_s")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return DEFAULT_PREVIEW_S
    return float(value) if 0 < value <= MAX_PREVIEW_S else DEFAULT_PREVIEW_S


class LeaseUnavailable(Exception):
    """The server could not be asked (offline, timed out): work from the batch."""


@dataclass(frozen=True)
class Lease:
    """One patient given to this agent until ``expires_at`` or until disposed."""

    lease_id: str
    patient_id: str
    campaign_id: str
    expires_at: datetime
    number: str = ""
    """The number to dial (else the patient's first phone)."""
    attempts: tuple[Attempt, ...] = ()
    """The patient's attempts the server knows, across campaigns."""
    callback_id: str | None = None
    """Set when the lease is a due callback."""
    callback_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "lease_id": self.lease_id,
            "patient_id": self.patient_id,
            "campaign_id": self.campaign_id,
            "expires_at": utc_text(self.expires_at),
            "number": self.number,
            "attempts": [
                {"at": utc_text(a.at), "code": a.code, "campaign_id": a.campaign_id}
                for a in self.attempts
            ],
            "callback_id": self.callback_id,
            "callback_at": None if self.callback_at is None else utc_text(self.callback_at),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Lease:
        """Raises KeyError/ValueError/TypeError on a broken item."""
        patient_id = str(raw["patient_id"])
        callback_at = raw.get("callback_at")
        return cls(
            lease_id=str(raw["lease_id"]),
            patient_id=patient_id,
            campaign_id=str(raw["campaign_id"]),
            expires_at=parse_time(str(raw["expires_at"])),
            number=str(raw.get("number") or ""),
            attempts=tuple(
                Attempt(
                    patient_id,
                    parse_time(str(a["at"])),
                    a.get("code"),
                    a.get("campaign_id"),
                )
                for a in raw.get("attempts") or ()
            ),
            callback_id=raw.get("callback_id") or None,
            callback_at=None if not callback_at else parse_time(str(callback_at)),
        )


@dataclass(frozen=True)
class Callback:
    """A callback the desk lists: for this agent, or for anyone on the campaign."""

    callback_id: str
    patient_id: str
    campaign_id: str | None
    due_at: datetime
    for_anyone: bool = False

    def due(self, now: datetime) -> bool:
        return self.due_at <= now


class LeaseSource(Protocol):
    """The server's lease API as the desk uses it (the sync layer implements it)."""

    def next_lease(self, campaign_id: str) -> Lease | None:
        """The next patient of the campaign (due callbacks first); None: the list is
        done for now. Raises :class:`LeaseUnavailable` when the server cannot answer."""
        ...

    def release(self, lease: Lease, reason: str) -> None:
        """Give the patient back (a skip, or the rules forbid the call now)."""
        ...

    def batch(self, campaign_id: str, size: int) -> Sequence[Lease]:
        """Leases kept for working offline; raises :class:`LeaseUnavailable`."""
        ...

    def callbacks(self) -> Sequence[Callback]:
        """Callbacks for this agent and for anyone on its campaigns."""
        ...


class StateStore(Protocol):
    def get_state(self, key: str) -> str | None: ...

    def set_state(self, key: str, value: str) -> None: ...


class Runner(Protocol):
    """Runs ``job`` (a server request) and calls ``done`` with its result, or with the
    exception it raised, on the session's own thread (now, or later from a worker)."""

    def __call__(self, job: Callable[[], Any], done: Callable[[Any], None]) -> None: ...


def run_inline(job: Callable[[], Any], done: Callable[[Any], None]) -> None:
    """The runner that makes each request at once, on the caller's thread."""
    try:
        outcome = job()
    except Exception as exc:  # handed to ``done``, which decides
        outcome = exc
    done(outcome)


@dataclass(frozen=True)
class _Asked:
    """What one request for the next patient brought: the lease, and fresh batch leases."""

    lease: Lease | None
    fresh: tuple[Lease, ...] = ()


def _ask(source: LeaseSource, campaign_id: str, top_up: int) -> _Asked:
    """The next patient, then (when one came and the batch runs low) ``top_up`` more kept
    for offline; runs on the runner's thread, so it touches nothing but ``source``."""
    lease = source.next_lease(campaign_id)
    if lease is None or top_up <= 0:
        return _Asked(lease)
    try:
        fresh = tuple(source.batch(campaign_id, top_up))
    except LeaseUnavailable:
        fresh = ()
    return _Asked(lease, fresh)


class Phase(StrEnum):
    IDLE = "idle"
    """No lease: not started, stopped, or the list is done for now."""
    PREVIEW = "preview"
    """A leased patient is shown; the agent dials or skips."""
    COUNTDOWN = "countdown"
    """Progressive: the call is placed when the countdown runs out."""
    ON_CALL = "on_call"
    """The lease's call is up or being disposed of."""


@dataclass(frozen=True)
class CampaignChanged:
    """The session's phase, lease or callbacks changed: views read the session again."""

    phase: Phase
    message: str = ""
    """Something the agent should read (a refusal, the list being done), or ""."""


@dataclass
class CampaignSession:
    """See the module docstring."""

    desk: AgentSession
    source: LeaseSource
    campaign: Mapping[str, Any]
    preview_s: float = 5.0
    ring_timeout_s: float = 30.0
    """A call not answered in this long is given up and recorded as no answer."""
    batch_size: int = 5
    callbacks_every_s: float = 120.0
    """How often the callbacks list is read again from the server while working."""
    state: StateStore | None = None
    clock: Callable[[], float] = time.monotonic
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    runner: Runner = run_inline
    """How the server's requests are made (see the module docstring)."""

    phase: Phase = field(default=Phase.IDLE, init=False)
    lease: Lease | None = field(default=None, init=False)
    offline: bool = field(default=False, init=False)
    skipped: list[tuple[str, str]] = field(default_factory=list, init=False)
    """(lease id, reason code) of every skip this session, in order."""
    _listeners: Listeners[CampaignChanged] = field(default_factory=Listeners, init=False)
    _countdown_at: float | None = field(default=None, init=False)
    _record_id: str | None = field(default=None, init=False)
    _call_id: str | None = field(default=None, init=False)
    _dialled_at: float = field(default=0.0, init=False)
    _rang_out: bool = field(default=False, init=False)
    _running: bool = field(default=False, init=False)
    _unsubscribe: Callable[[], None] | None = field(default=None, init=False)
    _callbacks: tuple[Callback, ...] = field(default=(), init=False)
    _callbacks_read: float | None = field(default=None, init=False)
    _alerted: set[str] = field(default_factory=set, init=False)
    _asking: bool = field(default=False, init=False)
    _asking_callbacks: bool = field(default=False, init=False)
    _turn: int = field(default=0, init=False)
    """Counts starts and stops: an answer asked for before a stop is not shown after it."""

    # -- reading ---------------------------------------------------------------------------

    @property
    def campaign_id(self) -> str:
        return str(self.campaign.get("id", ""))

    @property
    def progressive(self) -> bool:
        return self.campaign.get("kind") == "progressive"

    @property
    def running(self) -> bool:
        return self._running

    @property
    def asking(self) -> bool:
        """The next patient is being asked for (the server has not answered yet)."""
        return self._asking

    def subscribe(self, listener: Callable[[CampaignChanged], None]) -> Callable[[], None]:
        return self._listeners.subscribe(listener)

    def countdown_left(self) -> float | None:
        """Seconds before a progressive call is placed (None: no countdown running)."""
        if self._countdown_at is None:
            return None
        return max(0.0, self._countdown_at - self.clock())

    def attempts(self) -> tuple[Attempt, ...]:
        """The leased patient's attempt history (server's and this desk's), oldest first."""
        if self.lease is None:
            return ()
        gate = self.desk.gate
        if gate is None:
            return self.lease.attempts
        return gate.history.of(self.lease.patient_id)

    def verdict(self) -> Verdict:
        """The calling rules for the leased patient now (green when there is none)."""
        gate = self.desk.gate
        if self.lease is None or gate is None:
            return ALLOWED
        return gate.for_patient(self.lease.patient_id, self.lease.campaign_id)

    def callbacks(self) -> tuple[Callback, ...]:
        """The callbacks last read, soonest first."""
        return self._callbacks

    def due_callbacks(self) -> tuple[Callback, ...]:
        now = self.now()
        return tuple(c for c in self._callbacks if c.due(now))

    # -- intents ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start working the campaign: the first patient is leased (progressive: once Ready)."""
        if self._running:
            return
        self._running = True
        self._turn += 1
        self._unsubscribe = self.desk.subscribe(self._on_desk)
        self.refresh_callbacks()
        self._next()

    def stop(self) -> None:
        """Stop working the campaign; a lease not dialled goes back to the list."""
        if not self._running:
            return
        self._running = False
        self._turn += 1
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self.lease is not None and self.phase is not Phase.ON_CALL:
            self._release("stopped")
        self._set(Phase.IDLE)

    def dial(self) -> bool:
        """Call the leased patient (preview; progressive calls come from :meth:`poll`)."""
        lease = self.lease
        if lease is None or self.phase not in (Phase.PREVIEW, Phase.COUNTDOWN):
            return False
        if lease.expires_at <= self.now():
            self._release("expired")
            self._next(LEASE_EXPIRED)
            return False
        number = lease.number or self._first_phone(lease.patient_id)
        if not number:
            self._release("no_number")
            self._next(NO_NUMBER)
            return False
        call = self.desk.dial(number, patient_id=lease.patient_id, campaign_id=lease.campaign_id)
        if call is None:
            # Refused (the rules, or the phone): the reason went out as a Problem.
            self._countdown_at = None
            verdict = self.verdict()
            if not verdict.allowed:
                self._release("rules")
                self._next(verdict.reason)
            else:
                self._set(Phase.PREVIEW)
            return False
        self._record_id, self._call_id = call.record_id, call.call_id
        self._dialled_at, self._rang_out = self.clock(), False
        self._countdown_at = None
        self._set(Phase.ON_CALL)
        return True

    def skip(self, reason: str) -> bool:
        """Pass over the leased patient (a code of :data:`SKIP_REASONS`); the next comes."""
        if self.lease is None or self.phase not in (Phase.PREVIEW, Phase.COUNTDOWN):
            return False
        if reason not in dict(SKIP_REASONS):
            return False
        self.skipped.append((self.lease.lease_id, reason))
        self._release(reason)
        self._next()
        return True

    def next_patient(self) -> bool:
        """Ask for a patient now (after the list was done for a while); True once one is
        shown (with a worker runner: later, when the server answers)."""
        if not self._running or self.lease is not None or self._asking:
            return False
        self._next()
        return self.lease is not None

    def poll(self) -> None:
        """Run the progressive countdown, the ring timeout and the callbacks' due alerts;
        call it about once a second."""
        if not self._running:
            return
        read = self._callbacks_read
        if read is None or self.clock() - read >= self.callbacks_every_s:
            self.refresh_callbacks()
        self._alert_due()
        if self.phase is Phase.ON_CALL:
            self._ring_out()
        elif self.phase is Phase.COUNTDOWN:
            left = self.countdown_left()
            if not self._desk_free():
                self._countdown_at = None
                self._set(Phase.PREVIEW)
            elif left is not None and left <= 0:
                self.dial()
        elif self.phase is Phase.PREVIEW and self.progressive and self._desk_free():
            self._arm()
        elif (
            self.phase is Phase.IDLE and self.progressive and self._desk_free() and not self._asking
        ):
            self._next()

    def refresh_callbacks(self) -> None:
        self._callbacks_read = self.clock()
        if self._asking_callbacks:
            return
        self._asking_callbacks = True
        self.runner(self.source.callbacks, self._callbacks_came)

    def _callbacks_came(self, outcome: Any) -> None:
        self._asking_callbacks = False
        if isinstance(outcome, Exception):
            if not isinstance(outcome, LeaseUnavailable):
                log.warning("callbacks not read (%s)", type(outcome).__name__)
            return
        self._callbacks = tuple(sorted(outcome, key=lambda c: c.due_at))
        self._emit(CampaignChanged(self.phase))

    # -- inside ----------------------------------------------------------------------------

    def _alert_due(self) -> None:
        """Say once when a callback falls due (the list marks it too)."""
        fresh = [c for c in self.due_callbacks() if c.callback_id not in self._alerted]
        if fresh:
            self._alerted.update(c.callback_id for c in fresh)
            self._emit(CampaignChanged(self.phase, CALLBACK_DUE))

    def _ring_out(self) -> None:
        """Give up a call that rang too long (a phone that rings out sends no final answer)."""
        call = None if self._call_id is None else self.desk.call(self._call_id)
        if call is None or call.answered or self._rang_out:
            return
        if self.clock() - self._dialled_at >= self.ring_timeout_s:
            self._rang_out = True
            self.desk.hangup(call.call_id)

    def _desk_free(self) -> bool:
        desk = self.desk
        return desk.state is AgentState.READY and not desk.calls and not desk.wrap_ups

    def _arm(self) -> None:
        self._countdown_at = self.clock() + self.preview_s
        self._set(Phase.COUNTDOWN)

    def _next(self, message: str = "") -> None:
        self.lease = None
        self._record_id = self._call_id = None
        self._countdown_at = None
        if self._asking:
            return  # the answer on its way serves
        self._asking = True
        source, campaign_id, top_up = self.source, self.campaign_id, self._top_up_size()
        turn = self._turn
        self.runner(
            lambda: _ask(source, campaign_id, top_up),
            lambda outcome: self._answered(outcome, message, turn),
        )
        if self._asking:  # a worker asks: the views say so meanwhile
            self._set(Phase.IDLE)

    def _answered(self, outcome: Any, message: str, turn: int) -> None:
        """The server's answer to "next patient" (or why there is none), on our thread."""
        self._asking = False
        lease: Lease | None = None
        if isinstance(outcome, _Asked):
            self.offline = False
            self._keep_batch(outcome.fresh)
            lease = outcome.lease
        else:
            if not isinstance(outcome, LeaseUnavailable):
                log.warning("next patient not asked for (%s)", type(outcome).__name__)
            self.offline = True
        if turn != self._turn or not self._running:
            if lease is not None:  # stopped meanwhile: the patient goes back to the list
                self._give_back(lease, "stopped")
            self._set(self.phase)
            return
        if lease is None:  # the list is done (or offline): the patients kept are still ours
            lease = self._from_batch()
            if self.offline and not message:
                message = FROM_BATCH if lease is not None else SERVER_DOWN
        if lease is None:
            self._set(Phase.IDLE, message or NOTHING_TO_CALL)
            return
        self.lease = lease
        gate = self.desk.gate
        if gate is not None:
            gate.learned(lease.attempts)
        if self.progressive and self._desk_free():
            self._countdown_at = self.clock() + self.preview_s
            self._set(Phase.COUNTDOWN, message)
        else:
            self._set(Phase.PREVIEW, message)

    def _top_up_size(self) -> int:
        """How many leases to ask for to keep the offline batch filled (0: enough kept)."""
        if self.state is None or self.batch_size <= 0:
            return 0
        now = self.now()
        kept = [b for b in self._batch() if b.expires_at > now]
        if len(kept) >= self.batch_size // 2 + 1:
            return 0
        return self.batch_size - len(kept)

    def _keep_batch(self, fresh: Sequence[Lease]) -> None:
        if not fresh:
            return
        now = self.now()
        kept = [b for b in self._batch() if b.expires_at > now]
        self._save_batch([*kept, *fresh])

    def _from_batch(self) -> Lease | None:
        now = self.now()
        batch = [b for b in self._batch() if b.expires_at > now]
        lease = batch.pop(0) if batch else None
        self._save_batch(batch)
        return lease

    def _batch(self) -> list[Lease]:
        if self.state is None:
            return []
        try:
            raw = self.state.get_state(BATCH_STATE)
            items = json.loads(raw) if raw else []
            return [Lease.from_json(i) for i in items]
        except (StoreError, KeyError, ValueError, TypeError) as exc:
            log.warning("offline batch not read (%s)", type(exc).__name__)
            return []

    def _save_batch(self, leases: Sequence[Lease]) -> None:
        if self.state is None:
            return
        try:
            self.state.set_state(BATCH_STATE, json.dumps([b.to_json() for b in leases]))
        except StoreError as exc:
            log.warning("offline batch not saved (%s)", type(exc).__name__)

    def _release(self, reason: str) -> None:
        lease, self.lease = self.lease, None
        if lease is not None:
            self._give_back(lease, reason)

    def _give_back(self, lease: Lease, reason: str) -> None:
        source = self.source

        def released(outcome: Any) -> None:
            if isinstance(outcome, Exception):
                # Offline (or the server failed): the lease expires on the server by itself.
                log.info(
                    "lease %s not released (%s); it expires", lease.lease_id, type(outcome).__name__
                )

        self.runner(lambda: source.release(lease, reason), released)

    def _first_phone(self, patient_id: str) -> str:
        record = self.desk.patient_record(patient_id)
        if record is None or not record.phones:
            return ""
        return record.phones[0].number

    def _on_desk(self, event: WorkflowEvent) -> None:
        if not self._running:
            return
        if isinstance(event, WrapUpDone) and event.item.record_id == self._record_id:
            self._next()
        elif isinstance(event, CallFinished) and event.call.record_id == self._record_id:
            work = self.desk.wrap_up_work(event.call.record_id)
            if self._rang_out and work is not None:
                work.set_code(SYSTEM_CODES[Failure.NO_ANSWER].code)
            if not event.call.needs_wrap_up:
                self._next()
        elif isinstance(event, AgentStateChanged) and self.progressive:
            self.poll()

    def _set(self, phase: Phase, message: str = "") -> None:
        self.phase = phase
        self._emit(CampaignChanged(phase, message))

    def _emit(self, event: CampaignChanged) -> None:
        self._listeners.emit(event)


# -- the server's lease API through the sync layer ---------------------------------------------


class LeaseApi(Protocol):
    """:class:`agent_app.sync.api.ServerApi`'s outbound calls."""

    def lease_next(self, campaign_id: str, *, token: str, batch: int = 1) -> dict[str, Any]: ...

    def release_lease(
        self, lease_id: str, reason: str, *, token: str, retry_in_s: int | None = None
    ) -> None: ...

    def callbacks(self, *, token: str) -> dict[str, Any]: ...

    def attempts(self, patient_id: str, *, token: str) -> dict[str, Any]: ...


class TokenCall(Protocol):
    """:meth:`agent_app.sync.session.AuthSession.call`: runs an operation with a fresh token."""

    def __call__(self, operation: Callable[[str], Any]) -> Any: ...


_UNAVAILABLE = (ServerUnreachable, NotSignedIn, DeviceRevoked, AuthExpired)


class ServerLeases:
    """:class:`LeaseSource` over the server's API; a server that cannot answer (or that
    answers nonsense) reads as :class:`LeaseUnavailable`."""

    def __init__(self, api: LeaseApi, call: TokenCall) -> None:
        self._api, self._call = api, call

    def _ask(self, operation: Callable[[str], Any]) -> Any:
        try:
            return self._call(operation)
        except _UNAVAILABLE as exc:
            raise LeaseUnavailable(type(exc).__name__) from None

    def _leases(self, campaign_id: str, batch: int) -> list[Lease]:
        body = self._ask(lambda t: self._api.lease_next(campaign_id, token=t, batch=batch))
        items = body.get("leases") if isinstance(body, Mapping) else None
        if not isinstance(items, list):
            # An answer that is no list of leases: as good as no answer (offline batch).
            raise LeaseUnavailable("the server's answer is not a list of leases")
        leases = []
        for raw in items:
            try:
                lease = Lease.from_json({**raw, "attempts": []})
            except (KeyError, ValueError, TypeError):
                log.warning("a lease the server sent is not whole; left to expire")
                continue
            leases.append(replace(lease, attempts=self._attempts(lease.patient_id)))
        return leases

    def _attempts(self, patient_id: str) -> tuple[Attempt, ...]:
        try:
            body = self._ask(lambda t: self._api.attempts(patient_id, token=t))
        except (LeaseUnavailable, RequestRejected):
            return ()  # the lease still comes; the desk's own history still counts
        found = []
        items = body.get("attempts") if isinstance(body, Mapping) else None
        for raw in items if isinstance(items, list) else ():
            if not isinstance(raw, Mapping) or raw.get("kind") != "call":
                continue  # a skip is no call
            try:
                at = parse_time(str(raw["at"]))
            except (KeyError, ValueError):
                continue
            found.append(
                Attempt(
                    patient_id,
                    at,
                    raw.get("code"),
                    raw.get("campaign_id"),
                    exempt=bool(raw.get("exempt")),
                )
            )
        return tuple(found)

    def next_lease(self, campaign_id: str) -> Lease | None:
        try:
            leases = self._leases(campaign_id, 1)
        except RequestRejected as exc:
            log.warning("no lease: the server refused (%s)", exc.status)
            return None
        return leases[0] if leases else None

    def release(self, lease: Lease, reason: str) -> None:
        try:
            self._ask(lambda t: self._api.release_lease(lease.lease_id, reason, token=t))
        except RequestRejected as exc:  # already expired or disposed: nothing to give back
            log.info("lease %s not released (%s)", lease.lease_id, exc.status)

    def batch(self, campaign_id: str, size: int) -> Sequence[Lease]:
        try:
            return self._leases(campaign_id, max(1, size))
        except RequestRejected:
            return []

    def callbacks(self) -> Sequence[Callback]:
        try:
            body = self._ask(lambda t: self._api.callbacks(token=t))
        except RequestRejected:
            return []
        found = []
        items = body.get("callbacks") if isinstance(body, Mapping) else None
        for raw in items if isinstance(items, list) else ():
            if not isinstance(raw, Mapping):
                continue
            try:
                found.append(
                    Callback(
                        str(raw.get("callback_id") or ""),
                        str(raw["patient_id"]),
                        raw.get("campaign_id"),
                        parse_time(str(raw["due_at"])),
                        for_anyone=raw.get("callback_for") == "anyone",
                    )
                )
            except (KeyError, ValueError):
                continue
        return found
