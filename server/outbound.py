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
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    Select,
    and_,
    bindparam,
    func,
    or_,
    select,
    text,
    tuple_,
    union_all,
    update,
)
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
    campaign: Any
    """The campaign's rule columns: a :class:`Campaign` or a row of :data:`_CAMPAIGN_COLUMNS`."""
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


def campaign_rules(session: Session, campaign: Any, caps: rules.ExemptionCaps) -> CampaignRules:
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


# -- the claim --------------------------------------------------------------------------------
#
# The statements are built once: a lease costs a few round trips (the campaign with the
# agent's grant, the locked candidates with their patients and attempt histories, the update)
# and no ORM unit of work.

_Q = DialQueueEntry.__table__.c
_P = Patient.__table__.c
_A = CallAttempt.__table__.c


class CampaignFacts(NamedTuple):
    """The columns of a campaign the rules read."""

    id: str
    kind: str
    window_start: str
    window_end: str
    max_attempts: int
    default_region: str
    healthcare_exempt: bool
    code_tree_id: str | None


_CAMPAIGN_COLUMNS = tuple(getattr(Campaign, name) for name in CampaignFacts._fields)
_CAMPAIGN_AND_GRANT = select(
    *_CAMPAIGN_COLUMNS,
    select(AgentGrant.object_id)
    .where(
        AgentGrant.user_id == bindparam("uid"),
        AgentGrant.feed == "campaigns",
        AgentGrant.object_id == Campaign.id,
        AgentGrant.active,
    )
    .exists()
    .label("may"),
).where(Campaign.id == bindparam("cid"), Campaign.active)

_ATTEMPT_COLUMNS = (
    _A.at.label("attempt_at"),
    _A.campaign_id.label("attempt_campaign_id"),
    _A.code.label("attempt_code"),
    _A.exempt.label("attempt_exempt"),
)
_PATIENT_COLUMNS = (_P.time_zone, _P.do_not_call, _P.consent_calls, _P.deleted)
_ENTRY_COLUMNS = (
    _Q.campaign_id,
    _Q.patient_id,
    _Q.rank,
    _Q.due_at,
    _Q.position,
    _Q.attempts,
    _Q.callback_id,
    _Q.callback_for,
)


def _front(*where: Any, locking: bool) -> Any:
    query = (
        select(*_ENTRY_COLUMNS)
        .where(
            _Q.campaign_id == bindparam("cid"),
            _Q.state == QUEUE_OPEN,
            _Q.due_at <= bindparam("now"),
            *where,
        )
        .order_by(_Q.rank, _Q.due_at, _Q.position)
        .limit(bindparam("n"))
    )
    return query.with_for_update(skip_locked=True) if locking else query


def _with_history(entries: Any) -> Select[Any]:
    """Queue entries with their patient's fields and one row per call made to the patient (in
    any campaign; none: one row of NULLs)."""
    return (
        select(entries, *_PATIENT_COLUMNS, *_ATTEMPT_COLUMNS)
        .join(Patient, _P.id == entries.c.patient_id)
        .outerjoin(CallAttempt, and_(_A.patient_id == entries.c.patient_id, _A.kind == "call"))
    )


def _candidates_statement(locking: bool) -> Select[Any]:
    """Up to ``n`` due callbacks and retries (a callback kept for another agent excepted) and
    up to ``n`` list entries, each read as one range of the queue's index, in one statement;
    on PostgreSQL each entry is locked, skipping those another claim holds."""
    due = _front(
        _Q.rank.in_((RANK_CALLBACK, RANK_RETRY)),
        or_(
            _Q.rank != RANK_CALLBACK, _Q.callback_for.is_(None), _Q.callback_for == bindparam("uid")
        ),
        locking=locking,
    ).cte("due")
    listed = _front(_Q.rank == RANK_LIST, locking=locking).cte("listed")
    return _with_history(union_all(select(due), select(listed)).subquery("front"))


_CANDIDATES = {True: _candidates_statement(True), False: _candidates_statement(False)}


def _key(name: str, column: Any) -> Any:
    return bindparam(name, type_=column.type)


_WHERE_KEY = (
    _Q.campaign_id == _key("k_campaign", _Q.campaign_id),
    _Q.patient_id == _key("k_patient", _Q.patient_id),
)
_SET_LEASED = (
    update(DialQueueEntry)
    .where(*_WHERE_KEY)
    .values(
        state=QUEUE_LEASED,
        lease_id=_key("v_lease", _Q.lease_id),
        leased_by=_key("v_by", _Q.leased_by),
        lease_expires_at=_key("v_expires", _Q.lease_expires_at),
        updated_at=_key("v_now", _Q.updated_at),
    )
)
_SET_WAITING = (
    update(DialQueueEntry)
    .where(*_WHERE_KEY)
    .values(
        rank=_key("v_rank", _Q.rank),
        due_at=_key("v_due", _Q.due_at),
        updated_at=_key("v_now", _Q.updated_at),
    )
)
_SET_CLOSED = (
    update(DialQueueEntry)
    .where(*_WHERE_KEY)
    .values(
        state=QUEUE_CLOSED,
        closed_reason=_key("v_reason", _Q.closed_reason),
        lease_id=None,
        leased_by=None,
        lease_expires_at=None,
        updated_at=_key("v_now", _Q.updated_at),
    )
)


def _grouped(rows: Iterable[Any]) -> list[tuple[Any, list[rules.Attempt]]]:
    """One (entry, attempts) per queue entry of joined rows, in lease order."""
    found: dict[tuple[str, str], tuple[Any, list[rules.Attempt]]] = {}
    for row in rows:
        key = (row.campaign_id, row.patient_id)
        entry = found.get(key)
        if entry is None:
            entry = found[key] = (row, [])
        if row.attempt_at is not None:
            entry[1].append(
                rules.Attempt(
                    at=row.attempt_at,
                    campaign_id=row.attempt_campaign_id,
                    code=row.attempt_code,
                    exempt=row.attempt_exempt,
                )
            )
    return sorted(found.values(), key=lambda e: (e[0].rank, e[0].due_at, e[0].position))


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
    conn = session.connection()
    found = conn.execute(_CAMPAIGN_AND_GRANT, {"cid": campaign_id, "uid": user_id}).first()
    if found is None:
        raise OutboundError("no such campaign", 404)
    campaign = CampaignFacts(*found[: len(CampaignFacts._fields)])
    if campaign.kind not in DIALED_KINDS:
        raise OutboundError("an inbound campaign has no list to dial", 409)
    if not found.may:
        raise OutboundError("not assigned to this campaign", 403)
    expire_leases(session, now)
    crules = campaign_rules(session, campaign, caps)
    candidates = _CANDIDATES[conn.dialect.name == "postgresql"]
    leases: list[Lease] = []
    for _round in range(_ROUNDS):
        need = batch - len(leases)
        if need <= 0:
            break
        params = {"cid": campaign_id, "uid": user_id, "now": now, "n": 2 * need}
        rows = _grouped(conn.execute(candidates, params))
        if not rows and expire_leases(session, now, force=True) == 0:
            break
        # The first 2 * need in order are judged; any others stay as they are (their locks go
        # with the transaction).
        leases.extend(_lease_allowed(conn, crules, rows[: 2 * need], user_id, need, ttl, now))
    if leases:
        return leases, None
    return [], _next_due(session, campaign_id, now)


def _lease_allowed(  # noqa: PLR0917 - private, called once
    conn: Connection,
    crules: CampaignRules,
    rows: list[tuple[Any, list[rules.Attempt]]],
    user_id: str,
    need: int,
    ttl: timedelta,
    now: datetime,
) -> list[Lease]:
    leases: list[Lease] = []
    leased: list[dict[str, Any]] = []
    waiting: list[dict[str, Any]] = []
    closed: list[dict[str, Any]] = []
    for row, history in rows:
        key = {"k_campaign": row.campaign_id, "k_patient": row.patient_id, "v_now": now}
        verdict = rules.evaluate(crules.context(row, history), now)
        if not verdict.allowed:
            if verdict.next_allowed_at is None:
                closed.append({**key, "v_reason": verdict.reason[:32]})
            else:
                # Out of the front of the queue until the rules allow the call.
                rank = RANK_CALLBACK if row.rank == RANK_CALLBACK else RANK_RETRY
                waiting.append({**key, "v_rank": rank, "v_due": verdict.next_allowed_at})
            continue
        if len(leases) >= need:
            continue  # left as it is; the lock goes with the transaction
        lease_id, expires = str(uuid.uuid4()), now + ttl
        leased.append({**key, "v_lease": lease_id, "v_by": user_id, "v_expires": expires})
        leases.append(_lease_of(row, lease_id, expires, verdict))
    for statement, params in (
        (_SET_LEASED, leased),
        (_SET_WAITING, waiting),
        (_SET_CLOSED, closed),
    ):
        if params:
            conn.execute(statement, params)
    return leases


def _lease_of(row: Any, lease_id: str, expires: datetime, verdict: rules.Verdict) -> Lease:
    """The lease of a queue entry (a row or a :class:`DialQueueEntry`)."""
    callback = row.rank == RANK_CALLBACK
    return Lease(
        lease_id=lease_id,
        campaign_id=row.campaign_id,
        patient_id=row.patient_id,
        source=SOURCES[row.rank],
        due_at=None if row.rank == RANK_LIST else row.due_at,
        callback_id=row.callback_id if callback else None,
        callback_for=("anyone" if row.callback_for is None else "me") if callback else None,
        attempts=row.attempts,
        expires_at=expires,
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


# Read by holder only (the expiry is checked on the rows): with the expiry in the statement the
# planner, whose statistics lag behind fresh lease times, would walk every live lease instead.
_HELD = select(*_ENTRY_COLUMNS, _Q.lease_id, _Q.lease_expires_at).where(
    _Q.leased_by == bindparam("uid"), _Q.state == QUEUE_LEASED
)


def _held_with_history(lease_id: str | None) -> Select[Any]:
    held = _HELD if lease_id is None else _HELD.where(_Q.lease_id == bindparam("lease_id"))
    sub = held.subquery("held")
    return (
        _with_history(sub)
        .add_columns(*(c.label(f"c_{c.key}") for c in _CAMPAIGN_COLUMNS))
        .join(Campaign, Campaign.id == sub.c.campaign_id)
    )


_MY_LEASES = _held_with_history(None)
_ONE_LEASE = _held_with_history("lease_id")


def my_leases(
    session: Session, user_id: str, caps: rules.ExemptionCaps, now: datetime | None = None
) -> list[Lease]:
    """The agent's live leases (after a restart of the desk), with a fresh verdict each."""
    return _with_verdicts(session, _MY_LEASES, {}, user_id=user_id, caps=caps, now=now or utcnow())


def _with_verdicts(
    session: Session,
    statement: Select[Any],
    params: dict[str, Any],
    *,
    user_id: str,
    caps: rules.ExemptionCaps,
    now: datetime,
) -> list[Lease]:
    """The agent's leases the statement reads (one round trip), each judged now."""
    rows = session.connection().execute(statement, {**params, "uid": user_id})
    out = []
    crules: dict[str, CampaignRules] = {}
    for row, history in _grouped(rows):
        if row.lease_expires_at <= now:
            continue  # expired: back on the list at the next sweep
        if row.campaign_id not in crules:
            facts = CampaignFacts(*(getattr(row, f"c_{name}") for name in CampaignFacts._fields))
            crules[row.campaign_id] = campaign_rules(session, facts, caps)
        verdict = rules.evaluate(crules[row.campaign_id].context(row, history), now)
        out.append(_lease_of(row, row.lease_id, row.lease_expires_at, verdict))
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
    session.flush()
    params = {"lease_id": lease_id}
    return _with_verdicts(session, _ONE_LEASE, params, user_id=user_id, caps=caps, now=now)[0]


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


def _outbound_call(item: Any, campaign: CampaignFacts) -> bool:
    call = item.payload.get("call")
    if isinstance(call, dict):
        return call.get("direction") == "outbound"
    return campaign.kind in DIALED_KINDS


def _attempt_time(item: Any) -> datetime:
    call = item.payload.get("call")
    if isinstance(call, dict) and isinstance(call.get("started_at"), str):
        try:
            return datetime.fromisoformat(call["started_at"].replace("Z", "+00:00"))
        except ValueError:
            pass
    created: datetime = item.created_at
    return created


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
    # One round trip: the items with their campaign, less dispositions already recorded.
    rows = list(session.connection().execute(_NEW_ITEMS, {"ids": list(item_ids)}))
    rows.sort(key=lambda i: (i.kind != "disposition", i.created_at))
    for item in rows:
        if item.patient_id is None:
            continue
        campaign = CampaignFacts(*(getattr(item, f"c_{name}") for name in CampaignFacts._fields))
        if item.kind == "disposition":
            retry, opt_out = code_rules(session, campaign.code_tree_id)
            _apply_disposition(session, item, campaign, retry, opt_out, user_id, now)
        else:
            _apply_callback(session, item, campaign, user_id, now)


_NEW_ITEMS = (
    select(
        IntakeItem.id,
        IntakeItem.kind,
        IntakeItem.patient_id,
        IntakeItem.created_at,
        IntakeItem.payload,
        *(c.label(f"c_{c.key}") for c in _CAMPAIGN_COLUMNS),
    )
    .join(Campaign, Campaign.id == IntakeItem.campaign_id)
    .where(
        IntakeItem.id.in_(bindparam("ids", expanding=True)),
        IntakeItem.kind.in_(("disposition", "callback")),
        ~select(CallAttempt.id).where(CallAttempt.intake_id == IntakeItem.id).exists(),
    )
)
"""Stored intake items (a row each: ``id``, ``kind``, ``patient_id``, ``created_at``,
``payload`` and the campaign's ``c_*`` columns) not applied to the queue yet."""


def _queue_row(session: Session, campaign_id: str, patient_id: str) -> DialQueueEntry | None:
    query = select(DialQueueEntry).where(
        DialQueueEntry.campaign_id == campaign_id, DialQueueEntry.patient_id == patient_id
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)


def _apply_disposition(  # noqa: PLR0917 - private, called once
    session: Session,
    item: Any,
    campaign: CampaignFacts,
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
    session: Session, item: Any, campaign: CampaignFacts, user_id: str, now: datetime
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
