"""Outbound dialing: the dial queue a campaign's patients are leased from, one agent at a time.

A patient of a campaign is handed to one agent as a *lease* (until it expires or the call is
disposed), taken atomically: ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, a claim
serialised by the database's write lock (and a process lock) on SQLite. The order is due
callbacks, then due retries, then the list. Every candidate passes the shared calling rules
(:mod:`pulse_contract.calling_rules`) before it is leased: one forbidden for now waits in the
queue until the rules allow it, one forbidden for good (do-not-call, attempt limit) is closed.

Dispositions and callback requests arriving through intake close leases, record attempts, queue
retries and callbacks, and turn an opt-out into do-not-call for every campaign.
"""

from __future__ import annotations

import threading
import time as monotonic
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, text, tuple_, update
from sqlalchemy.orm import Session

from pulse_contract import calling_rules as rules
from server.db import next_seq
from server.models import (
    LIST_DUE,
    QUEUE_CLOSED,
    QUEUE_DONE,
    QUEUE_LEASED,
    QUEUE_OPEN,
    RANK_CALLBACK,
    RANK_LIST,
    RANK_RETRY,
    AgentGrant,
    CallAttempt,
    Campaign,
    CodeTree,
    DialQueueEntry,
    IntakeItem,
    ListEntry,
    Patient,
    utcnow,
)
from server.settings import ServerSettings

SOURCES = {RANK_CALLBACK: "callback", RANK_RETRY: "retry", RANK_LIST: "list"}
DIALED_KINDS = ("preview", "progressive")
_ROUNDS = 12
"""Claim rounds per request; each examines a handful of candidates (forbidden ones leave the
front of the queue as they are seen, so a request rarely needs more than one)."""
_EXPIRY_EVERY_S = 2.0
_EXPIRY_BATCH = 500


class OutboundError(Exception):
    """A lease request the server refuses (HTTP ``status``)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Lease:
    """A patient handed to an agent, with the rules' verdict at the time it was handed."""

    lease_id: str
    campaign_id: str
    patient_id: str
    source: str
    due_at: datetime | None
    callback_id: str | None
    callback_for: str | None
    attempts: int
    expires_at: datetime
    verdict: rules.Verdict


def caps_of(settings: ServerSettings) -> rules.ExemptionCaps:
    """The centre's healthcare-exemption caps, from the server's settings."""
    return rules.ExemptionCaps(
        per_day=settings.exempt_calls_per_day, per_week=settings.exempt_calls_per_week
    )


# -- the campaign's rules ---------------------------------------------------------------------

_TREES: dict[str, tuple[float, rules.RetryRules, frozenset[str]]] = {}
_TREE_TTL_S = 10.0
"""A tree's edits reach the dialer within this long (the hot path does not re-read it)."""


def _walk(codes: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for code in codes:
        yield code
        yield from _walk(code.get("children") or ())


def code_rules(session: Session, tree_id: str | None) -> tuple[rules.RetryRules, frozenset[str]]:
    """The retry intervals and opt-out codes of a code tree (the rules' defaults without one)."""
    if tree_id is None:
        return rules.RetryRules(), rules.OPT_OUT_CODES
    cached = _TREES.get(tree_id)
    if cached is not None and monotonic.monotonic() - cached[0] < _TREE_TTL_S:
        return cached[1], cached[2]
    codes = session.scalar(select(CodeTree.codes).where(CodeTree.id == tree_id)) or {}
    after = dict(rules.DEFAULT_RETRY_AFTER)
    opt_out = set(rules.OPT_OUT_CODES)
    for code in _walk(codes.get("codes", [])):
        if code.get("retry_after_min") is not None:
            after[code["code"]] = timedelta(minutes=int(code["retry_after_min"]))
        if code.get("opt_out"):
            opt_out.add(code["code"])
    retry, flagged = rules.RetryRules(after=after), frozenset(opt_out)
    _TREES[tree_id] = (monotonic.monotonic(), retry, flagged)
    return retry, flagged


@dataclass(frozen=True)
class CampaignRules:
    campaign: Campaign
    retry: rules.RetryRules
    opt_out: frozenset[str]
    caps: rules.ExemptionCaps

    def context(self, patient: Any, attempts: Sequence[rules.Attempt]) -> rules.CallContext:
        c = self.campaign
        return rules.CallContext(
            time_zone=patient.time_zone,
            country=c.default_region,
            do_not_call=patient.do_not_call or patient.deleted,
            consent=patient.consent_calls,
            campaign_id=c.id,
            window_start=c.window_start,
            window_end=c.window_end,
            max_attempts=c.max_attempts,
            exempt=c.healthcare_exempt,
            attempts=tuple(attempts),
            retry=self.retry,
            caps=self.caps,
        )


def campaign_rules(
    session: Session, campaign: Campaign, caps: rules.ExemptionCaps
) -> CampaignRules:
    retry, opt_out = code_rules(session, campaign.code_tree_id)
    return CampaignRules(campaign, retry, opt_out, caps)


def attempt_history(session: Session, patient_ids: Sequence[str]) -> dict[str, list[rules.Attempt]]:
    """The calls made to each patient, across campaigns (skips are not attempts)."""
    found: dict[str, list[rules.Attempt]] = {pid: [] for pid in patient_ids}
    if not patient_ids:
        return found
    rows = session.execute(
        select(
            CallAttempt.patient_id,
            CallAttempt.at,
            CallAttempt.campaign_id,
            CallAttempt.code,
            CallAttempt.exempt,
        ).where(CallAttempt.patient_id.in_(list(patient_ids)), CallAttempt.kind == "call")
    )
    for pid, at, campaign_id, code, exempt in rows:
        found[pid].append(rules.Attempt(at=at, campaign_id=campaign_id, code=code, exempt=exempt))
    return found


# -- the queue --------------------------------------------------------------------------------


def may_work(session: Session, user_id: str, campaign_id: str) -> bool:
    """Whether the agent holds a live grant for the campaign."""
    found = session.scalar(
        select(AgentGrant.object_id).where(
            AgentGrant.user_id == user_id,
            AgentGrant.feed == "campaigns",
            AgentGrant.object_id == campaign_id,
            AgentGrant.active,
        )
    )
    return found is not None


def _positions(session: Session, campaign_id: str, count: int) -> Iterator[int]:
    top = session.scalar(
        select(func.max(DialQueueEntry.position)).where(DialQueueEntry.campaign_id == campaign_id)
    )
    start = int(top or 0) + 1
    return iter(range(start, start + count))


def enqueue(session: Session, campaign_id: str, patient_ids: Sequence[str]) -> int:
    """Put patients on the campaign's dial queue in the order given (after those already there);
    a patient taken off the list before is opened again. Returns how many were added or opened."""
    ids = list(dict.fromkeys(patient_ids))
    if not ids:
        return 0
    current = {
        row.patient_id: row
        for row in session.scalars(
            select(DialQueueEntry).where(
                DialQueueEntry.campaign_id == campaign_id, DialQueueEntry.patient_id.in_(ids)
            )
        )
    }
    positions = _positions(session, campaign_id, len(ids))
    changed = 0
    for pid in ids:
        row = current.get(pid)
        if row is None:
            session.add(
                DialQueueEntry(
                    campaign_id=campaign_id,
                    patient_id=pid,
                    position=next(positions),
                    state=QUEUE_OPEN,
                    rank=RANK_LIST,
                    due_at=LIST_DUE,
                    attempts=0,
                )
            )
            changed += 1
        elif row.state == QUEUE_CLOSED and row.closed_reason == "removed":
            row.state, row.closed_reason, row.updated_at = QUEUE_OPEN, None, utcnow()
            changed += 1
    session.flush()
    return changed


def withdraw(session: Session, campaign_id: str, patient_ids: Sequence[str] | None) -> int:
    """Close the queue entries of patients no longer on any active list of the campaign."""
    still_listed = select(ListEntry.patient_id).where(
        ListEntry.campaign_id == campaign_id, ListEntry.active
    )
    stmt = update(DialQueueEntry).where(
        DialQueueEntry.campaign_id == campaign_id,
        DialQueueEntry.state.in_((QUEUE_OPEN, QUEUE_LEASED)),
        DialQueueEntry.rank != RANK_CALLBACK,  # a promised callback stands
        DialQueueEntry.patient_id.not_in(still_listed),
    )
    if patient_ids is not None:
        stmt = stmt.where(DialQueueEntry.patient_id.in_(list(patient_ids)))
    result = session.execute(
        stmt.values(
            state=QUEUE_CLOSED,
            closed_reason="removed",
            lease_id=None,
            leased_by=None,
            lease_expires_at=None,
            updated_at=utcnow(),
        ).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# SQLite has no row locks: claims of one process take turns here, and each claim's transaction
# starts with a write so that SQLite's own lock orders claims across processes.
_SQLITE_CLAIMS = threading.Lock()


@contextmanager
def claim_guard(session: Session) -> Iterator[None]:
    """Hold around the whole transaction of anything that moves the queue (a claim, intake's
    effects); a no-op on PostgreSQL, whose row locks do the work."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    with _SQLITE_CLAIMS:
        session.execute(text("UPDATE change_counter SET value = value WHERE id = 0"))
        yield


_last_expiry = [0.0]
_expiry_lock = threading.Lock()


def expire_leases(session: Session, now: datetime, *, force: bool = False) -> int:
    """Return expired leases to the queue (at most every couple of seconds per process)."""
    with _expiry_lock:
        if not force and monotonic.monotonic() - _last_expiry[0] < _EXPIRY_EVERY_S:
            return 0
        _last_expiry[0] = monotonic.monotonic()
    expired = (
        select(DialQueueEntry.campaign_id, DialQueueEntry.patient_id)
        .where(DialQueueEntry.state == QUEUE_LEASED, DialQueueEntry.lease_expires_at <= now)
        .limit(_EXPIRY_BATCH)
    )
    if session.get_bind().dialect.name == "postgresql":
        expired = expired.with_for_update(skip_locked=True)
    keys = [tuple(k) for k in session.execute(expired)]
    if not keys:
        return 0
    session.execute(
        update(DialQueueEntry)
        .where(
            tuple_(DialQueueEntry.campaign_id, DialQueueEntry.patient_id).in_(keys),
            DialQueueEntry.state == QUEUE_LEASED,
        )
        .values(
            state=QUEUE_OPEN, lease_id=None, leased_by=None, lease_expires_at=None, updated_at=now
        )
        .execution_options(synchronize_session=False)
    )
    return len(keys)


_PATIENT_COLUMNS = (
    Patient.time_zone,
    Patient.do_not_call,
    Patient.consent_calls,
    Patient.deleted,
)


def _candidates(
    session: Session, campaign_id: str, user_id: str, now: datetime, want: int
) -> list[tuple[DialQueueEntry, Any]]:
    """Up to ``want`` due entries in lease order with their patient's fields, locked (skipping
    those others hold): due callbacks and retries in one read (few rows are due at once), then
    the list."""
    found: list[tuple[DialQueueEntry, Any]] = []
    postgres = session.get_bind().dialect.name == "postgresql"
    for ranks in ((RANK_CALLBACK, RANK_RETRY), (RANK_LIST,)):
        if len(found) >= want:
            break
        query = (
            select(DialQueueEntry, *_PATIENT_COLUMNS)
            .join(Patient, Patient.id == DialQueueEntry.patient_id)
            .where(
                DialQueueEntry.campaign_id == campaign_id,
                DialQueueEntry.state == QUEUE_OPEN,
                DialQueueEntry.due_at <= now,
            )
            .order_by(DialQueueEntry.rank, DialQueueEntry.due_at, DialQueueEntry.position)
            .limit(want - len(found))
        )
        if len(ranks) == 1:
            query = query.where(DialQueueEntry.rank == ranks[0])
        else:
            query = query.where(
                DialQueueEntry.rank.in_(ranks),
                or_(
                    DialQueueEntry.rank != RANK_CALLBACK,
                    DialQueueEntry.callback_for.is_(None),
                    DialQueueEntry.callback_for == user_id,
                ),
            )
        if postgres:
            query = query.with_for_update(of=DialQueueEntry, skip_locked=True)
        found.extend((row[0], row) for row in session.execute(query))
    return found


def claim(
    session: Session,
    *,
    campaign_id: str,
    user_id: str,
    batch: int,
    ttl: timedelta,
    caps: rules.ExemptionCaps,
    now: datetime | None = None,
) -> tuple[list[Lease], datetime | None]:
    """Lease up to ``batch`` patients of the campaign to the agent; call inside
    :func:`claim_guard` in one transaction. Returns the leases and, when none was found, the
    earliest instant a waiting patient falls due (None if unknown)."""
    now = now or utcnow()
    granted = (
        select(AgentGrant.object_id)
        .where(
            AgentGrant.user_id == user_id,
            AgentGrant.feed == "campaigns",
            AgentGrant.object_id == campaign_id,
            AgentGrant.active,
        )
        .exists()
    )
    found = session.execute(
        select(Campaign, granted).where(Campaign.id == campaign_id, Campaign.active)
    ).first()
    if found is None:
        raise OutboundError("no such campaign", 404)
    campaign, may = found
    if campaign.kind not in DIALED_KINDS:
        raise OutboundError("an inbound campaign has no list to dial", 409)
    if not may:
        raise OutboundError("not assigned to this campaign", 403)
    expire_leases(session, now)
    crules = campaign_rules(session, campaign, caps)
    leases: list[Lease] = []
    for _round in range(_ROUNDS):
        need = batch - len(leases)
        if need <= 0:
            break
        rows = _candidates(session, campaign_id, user_id, now, 2 * need)
        if not rows and expire_leases(session, now, force=True) == 0:
            break
        leases.extend(_lease_allowed(session, crules, rows, user_id, need, ttl, now))
    if leases:
        session.flush()
        return leases, None
    return [], _next_due(session, campaign_id, now)


def _lease_allowed(  # noqa: PLR0917 - private, called once
    session: Session,
    crules: CampaignRules,
    rows: list[tuple[DialQueueEntry, Any]],
    user_id: str,
    need: int,
    ttl: timedelta,
    now: datetime,
) -> list[Lease]:
    history = attempt_history(session, [row.patient_id for row, _ in rows])
    leases: list[Lease] = []
    for row, patient in rows:
        verdict = rules.evaluate(crules.context(patient, history[row.patient_id]), now)
        if not verdict.allowed:
            if verdict.next_allowed_at is None:
                _close(row, verdict.reason, now)
            else:
                # Out of the front of the queue until the rules allow the call.
                row.rank = RANK_CALLBACK if row.rank == RANK_CALLBACK else RANK_RETRY
                row.due_at, row.updated_at = verdict.next_allowed_at, now
            continue
        if len(leases) >= need:
            continue  # left as it is; the lock goes with the transaction
        due = None if row.rank == RANK_LIST else row.due_at
        row.state, row.lease_id, row.leased_by = QUEUE_LEASED, str(uuid.uuid4()), user_id
        row.lease_expires_at, row.updated_at = now + ttl, now
        leases.append(_lease_of(row, user_id, verdict, due))
    return leases


def _lease_of(
    row: DialQueueEntry, user_id: str, verdict: rules.Verdict, due: datetime | None
) -> Lease:
    assert row.lease_id is not None and row.lease_expires_at is not None
    callback_for = None
    if row.rank == RANK_CALLBACK:
        callback_for = "anyone" if row.callback_for is None else "me"
    return Lease(
        lease_id=row.lease_id,
        campaign_id=row.campaign_id,
        patient_id=row.patient_id,
        source=SOURCES[row.rank],
        due_at=due,
        callback_id=row.callback_id if row.rank == RANK_CALLBACK else None,
        callback_for=callback_for,
        attempts=row.attempts,
        expires_at=row.lease_expires_at,
        verdict=verdict,
    )


def _close(row: DialQueueEntry, reason: str, now: datetime) -> None:
    row.state, row.closed_reason, row.updated_at = QUEUE_CLOSED, reason[:32], now
    row.lease_id = row.leased_by = row.lease_expires_at = None


def _next_due(session: Session, campaign_id: str, now: datetime) -> datetime | None:
    found: datetime | None = session.scalar(
        select(func.min(DialQueueEntry.due_at)).where(
            DialQueueEntry.campaign_id == campaign_id,
            DialQueueEntry.state == QUEUE_OPEN,
            DialQueueEntry.rank.in_((RANK_CALLBACK, RANK_RETRY)),
            DialQueueEntry.due_at > now,
        )
    )
    return found


def my_leases(
    session: Session, user_id: str, caps: rules.ExemptionCaps, now: datetime | None = None
) -> list[Lease]:
    """The agent's live leases (after a restart of the desk), with a fresh verdict each."""
    now = now or utcnow()
    rows = list(
        session.scalars(
            select(DialQueueEntry).where(
                DialQueueEntry.leased_by == user_id,
                DialQueueEntry.state == QUEUE_LEASED,
                DialQueueEntry.lease_expires_at > now,
            )
        )
    )
    return _with_verdicts(session, rows, user_id, caps, now)


def _with_verdicts(
    session: Session,
    rows: list[DialQueueEntry],
    user_id: str,
    caps: rules.ExemptionCaps,
    now: datetime,
) -> list[Lease]:
    if not rows:
        return []
    history = attempt_history(session, [r.patient_id for r in rows])
    out = []
    for row in rows:
        campaign = session.get(Campaign, row.campaign_id)
        patient = session.get(Patient, row.patient_id)
        if campaign is None or patient is None:
            continue
        crules = campaign_rules(session, campaign, caps)
        verdict = rules.evaluate(crules.context(patient, history[row.patient_id]), now)
        due = None if row.rank == RANK_LIST else row.due_at
        out.append(_lease_of(row, user_id, verdict, due))
    return out


def _held(session: Session, lease_id: str, user_id: str, now: datetime) -> DialQueueEntry:
    query = select(DialQueueEntry).where(
        DialQueueEntry.lease_id == lease_id,
        DialQueueEntry.leased_by == user_id,
        DialQueueEntry.state == QUEUE_LEASED,
        DialQueueEntry.lease_expires_at > now,
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        raise OutboundError("no such lease (expired, disposed or someone else's)", 404)
    return row


def release(
    session: Session,
    *,
    lease_id: str,
    user_id: str,
    reason: str,
    retry_in: timedelta,
    now: datetime | None = None,
) -> None:
    """Give a leased patient back without a call (a skip): recorded with its reason, and the
    patient waits ``retry_in`` before anyone is offered them again."""
    now = now or utcnow()
    row = _held(session, lease_id, user_id, now)
    session.add(
        CallAttempt(
            patient_id=row.patient_id,
            campaign_id=row.campaign_id,
            user_id=user_id,
            at=now,
            kind="skip",
            code=reason,
            exempt=False,
            lease_id=lease_id,
        )
    )
    row.state = QUEUE_OPEN
    if row.rank != RANK_CALLBACK:
        row.rank = RANK_RETRY
    row.due_at = now + retry_in
    row.lease_id = row.leased_by = row.lease_expires_at = None
    row.updated_at = now


def renew(
    session: Session,
    *,
    lease_id: str,
    user_id: str,
    ttl: timedelta,
    caps: rules.ExemptionCaps,
    now: datetime | None = None,
) -> Lease:
    """Extend a live lease (a long call, a long preview)."""
    now = now or utcnow()
    row = _held(session, lease_id, user_id, now)
    row.lease_expires_at, row.updated_at = now + ttl, now
    return _with_verdicts(session, [row], user_id, caps, now)[0]


# -- history and callbacks --------------------------------------------------------------------


def may_see_patient(session: Session, user_id: str, patient_id: str) -> bool:
    """The patient is on a list, or the queue, of a campaign the agent works."""
    granted = select(AgentGrant.object_id).where(
        AgentGrant.user_id == user_id, AgentGrant.feed == "campaigns", AgentGrant.active
    )
    listed = session.scalar(
        select(ListEntry.patient_id)
        .where(
            ListEntry.patient_id == patient_id,
            ListEntry.active,
            ListEntry.campaign_id.in_(granted),
        )
        .limit(1)
    )
    if listed is not None:
        return True
    queued = session.scalar(
        select(DialQueueEntry.patient_id)
        .where(DialQueueEntry.patient_id == patient_id, DialQueueEntry.campaign_id.in_(granted))
        .limit(1)
    )
    return queued is not None


def attempts_of(session: Session, patient_id: str, limit: int = 200) -> list[CallAttempt]:
    """The patient's calls and skips across campaigns, newest first."""
    return list(
        session.scalars(
            select(CallAttempt)
            .where(CallAttempt.patient_id == patient_id)
            .order_by(CallAttempt.at.desc(), CallAttempt.id.desc())
            .limit(limit)
        )
    )


def callbacks_for(session: Session, user_id: str, limit: int = 500) -> list[DialQueueEntry]:
    """Pending callbacks the agent may take: theirs, and anyone's on their campaigns."""
    granted = select(AgentGrant.object_id).where(
        AgentGrant.user_id == user_id, AgentGrant.feed == "campaigns", AgentGrant.active
    )
    return list(
        session.scalars(
            select(DialQueueEntry)
            .where(
                DialQueueEntry.campaign_id.in_(granted),
                DialQueueEntry.rank == RANK_CALLBACK,
                DialQueueEntry.state.in_((QUEUE_OPEN, QUEUE_LEASED)),
                or_(DialQueueEntry.callback_for.is_(None), DialQueueEntry.callback_for == user_id),
            )
            .order_by(DialQueueEntry.due_at)
            .limit(limit)
        )
    )


# -- intake -----------------------------------------------------------------------------------


def _outbound_call(item: IntakeItem, campaign: Campaign) -> bool:
    call = item.payload.get("call")
    if isinstance(call, dict):
        return call.get("direction") == "outbound"
    return campaign.kind in DIALED_KINDS


def _attempt_time(item: IntakeItem) -> datetime:
    call = item.payload.get("call")
    if isinstance(call, dict) and isinstance(call.get("started_at"), str):
        try:
            return datetime.fromisoformat(call["started_at"].replace("Z", "+00:00"))
        except ValueError:
            pass
    return item.created_at


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def apply_intake(session: Session, user_id: str, item_ids: Sequence[str], now: datetime) -> None:
    """Apply newly stored dispositions and callback requests to the dial queue.

    A disposition of an outbound call records an attempt (its intake id makes it idempotent),
    closes the agent's lease on the patient, and queues a retry (a code with a retry interval)
    or ends the patient's turn; an opt-out code sets do-not-call on the patient for every
    campaign. A callback request with a campaign queues the patient as a callback, due at its
    time. Dispositions are applied before callbacks, so a call's own callback survives it."""
    if not item_ids:
        return
    items = list(
        session.scalars(
            select(IntakeItem).where(
                IntakeItem.id.in_(list(item_ids)),
                IntakeItem.kind.in_(("disposition", "callback")),
                IntakeItem.campaign_id.is_not(None),
            )
        )
    )
    if not items:
        return
    seen = set(
        session.scalars(
            select(CallAttempt.intake_id).where(CallAttempt.intake_id.in_([i.id for i in items]))
        )
    )
    items = [i for i in items if i.id not in seen]
    items.sort(key=lambda i: (i.kind != "disposition", i.created_at))
    for item in items:
        campaign = session.get(Campaign, item.campaign_id) if item.campaign_id else None
        if campaign is None or item.patient_id is None:
            continue
        if item.kind == "disposition":
            retry, opt_out = code_rules(session, campaign.code_tree_id)
            _apply_disposition(session, item, campaign, retry, opt_out, user_id, now)
        else:
            _apply_callback(session, item, campaign, user_id, now)


def _queue_row(session: Session, campaign_id: str, patient_id: str) -> DialQueueEntry | None:
    query = select(DialQueueEntry).where(
        DialQueueEntry.campaign_id == campaign_id, DialQueueEntry.patient_id == patient_id
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)


def _apply_disposition(  # noqa: PLR0917 - private, called once
    session: Session,
    item: IntakeItem,
    campaign: Campaign,
    retry: rules.RetryRules,
    opt_out: frozenset[str],
    user_id: str,
    now: datetime,
) -> None:
    assert item.patient_id is not None
    code = str(item.payload.get("code", ""))
    row = _queue_row(session, campaign.id, item.patient_id)
    if _outbound_call(item, campaign):
        session.add(
            CallAttempt(
                patient_id=item.patient_id,
                campaign_id=campaign.id,
                user_id=user_id,
                at=_attempt_time(item),
                kind="call",
                code=code,
                exempt=campaign.healthcare_exempt,
                intake_id=item.id,
                lease_id=row.lease_id if row is not None else None,
            )
        )
    if code in opt_out:
        set_do_not_call(session, item.patient_id, now)
        return
    if row is None or row.state in (QUEUE_DONE, QUEUE_CLOSED):
        return
    held_by_other = row.state == QUEUE_LEASED and row.leased_by != user_id
    if held_by_other and row.lease_expires_at is not None and row.lease_expires_at > now:
        return  # another agent holds it now; the attempt above still counts
    row.attempts += 1
    row.lease_id = row.leased_by = row.lease_expires_at = None
    row.callback_id = row.callback_for = None
    row.updated_at = now
    wait = retry.after.get(code)
    if wait is None:
        row.state = QUEUE_DONE
    elif row.attempts >= campaign.max_attempts:
        _close(row, "max_attempts", now)
    else:
        row.state, row.rank = QUEUE_OPEN, RANK_RETRY
        row.due_at = _attempt_time(item) + wait


def _apply_callback(
    session: Session, item: IntakeItem, campaign: Campaign, user_id: str, now: datetime
) -> None:
    assert item.patient_id is not None
    due = _parse(item.payload.get("callback_at"))
    patient = session.get(Patient, item.patient_id)
    if due is None or patient is None or patient.do_not_call or campaign.kind not in DIALED_KINDS:
        return
    for_whom = user_id if item.payload.get("for") == "me" else None
    row = _queue_row(session, campaign.id, item.patient_id)
    if row is None:
        row = DialQueueEntry(
            campaign_id=campaign.id,
            patient_id=item.patient_id,
            position=next(_positions(session, campaign.id, 1)),
            attempts=0,
        )
        session.add(row)
    elif row.state == QUEUE_CLOSED and row.closed_reason not in ("removed", "max_attempts"):
        return  # closed by do-not-call or consent: no callback reopens it
    if row.state != QUEUE_LEASED:
        row.state = QUEUE_OPEN
    row.rank, row.due_at = RANK_CALLBACK, due
    row.callback_id, row.callback_for = item.id, for_whom
    row.closed_reason, row.updated_at = None, now


def set_do_not_call(session: Session, patient_id: str, now: datetime | None = None) -> None:
    """The patient asked not to be called: do-not-call on the record (every desk syncs it) and
    every queue entry of theirs closed, callbacks and leases included."""
    now = now or utcnow()
    patient = session.get(Patient, patient_id)
    if patient is not None and not patient.do_not_call:
        patient.do_not_call = True
        patient.version += 1
        patient.seq = next_seq(session)
    session.execute(
        update(DialQueueEntry)
        .where(
            and_(
                DialQueueEntry.patient_id == patient_id,
                DialQueueEntry.state.in_((QUEUE_OPEN, QUEUE_LEASED)),
            )
        )
        .values(
            state=QUEUE_CLOSED,
            closed_reason="do_not_call",
            lease_id=None,
            leased_by=None,
            lease_expires_at=None,
            callback_id=None,
            callback_for=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
