"""Delta feeds over an agent's minimum-necessary slice.

Patients reach an agent only through an active campaign grant and an active list entry of that
campaign. A page is either part of a snapshot (ordered by id, pinned to the seq it started at) or a
delta: every candidate whose effective seq (the newest of its own row, its list entries in the
agent's campaigns, and the agent's campaign grants) is past the cursor, in ``(seq, id)`` order.
A candidate still in the slice is an item; one that is not is a deletion. Each page costs a fixed
number of queries (no N+1). The not-ready reasons are the same for every agent: that feed reads
the table itself, no grants, and a withdrawn reason is a deletion.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from pulse_contract.holiday_calendar import holiday_table
from server.cursors import Cursor
from server.db import current_seq
from server.models import (
    AgentGrant,
    Campaign,
    CodeTree,
    ListEntry,
    NotReadyReason,
    Patient,
    Script,
)

FEEDS = ("patients", "campaigns", "scripts", "code_trees", "not_ready_reasons")
_SMALL_MODELS: dict[str, Any] = {"campaigns": Campaign, "scripts": Script, "code_trees": CodeTree}
_REASONS = "not_ready_reasons"


@dataclass
class Page:
    items: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    cursor: Cursor = field(default_factory=lambda: Cursor("d", 0, ""))
    has_more: bool = False
    snapshot: bool = False


def _grant(user_id: Any, feed: str, *, active_only: bool = True) -> ColumnElement[bool]:
    cond = and_(AgentGrant.user_id == user_id, AgentGrant.feed == feed)
    return and_(cond, AgentGrant.active) if active_only else cond


def read_page(
    session: Session,
    user_id: str,
    feed: str,
    cursor: Cursor | None,
    limit: int,
    *,
    head: int | None = None,
) -> Page:
    """One page of ``feed`` for ``user_id``; ``head`` is the latest seq when the caller has it."""
    if cursor is None:
        head = head if head is not None else current_seq(session)[0]
        cursor = Cursor("s", head, "")
    if cursor.mode == "s":
        ids = _snapshot_ids(session, user_id, feed, cursor, limit + 1)
        page = Page(snapshot=True, has_more=len(ids) > limit)
        ids = ids[:limit]
        page.items = _load(session, user_id, feed, ids)
        if page.has_more:
            page.cursor = Cursor("s", cursor.seq, ids[-1])
        else:
            page.cursor = Cursor("d", cursor.seq, "")
        return page
    candidates = _delta_candidates(session, user_id, feed, cursor, limit + 1)
    page = Page(has_more=len(candidates) > limit)
    candidates = candidates[:limit]
    if not candidates:
        page.cursor = cursor
        return page
    ids = [c[0] for c in candidates]
    if feed == "patients":
        visible = _visible_patients(session, user_id, ids)
        page.items = [visible[i] for i in ids if i in visible]
        page.deleted = [i for i in ids if i not in visible]
    else:
        live = _in_slice(session, user_id, feed, ids)
        page.items = _load(session, user_id, feed, [i for i in ids if i in live])
        page.deleted = [i for i in ids if i not in live]
    last_id, last_seq = candidates[-1]
    page.cursor = Cursor("d", int(last_seq), last_id)
    return page


def _slice_patient_ids(user_id: str) -> Select[Any]:
    return (
        select(ListEntry.patient_id)
        .join(
            AgentGrant,
            and_(AgentGrant.object_id == ListEntry.campaign_id, _grant(user_id, "campaigns")),
        )
        .join(Patient, Patient.id == ListEntry.patient_id)
        .where(ListEntry.active, Patient.deleted.is_(False))
    )


def _snapshot_ids(session: Session, user_id: str, feed: str, cursor: Cursor, n: int) -> list[str]:
    if feed == "patients":
        query = (
            _slice_patient_ids(user_id)
            .where(ListEntry.patient_id > cursor.after)
            .group_by(ListEntry.patient_id)
            .order_by(ListEntry.patient_id)
            .limit(n)
        )
    elif feed == _REASONS:
        query = (
            select(NotReadyReason.code)
            .where(NotReadyReason.active, NotReadyReason.code > cursor.after)
            .order_by(NotReadyReason.code)
            .limit(n)
        )
    else:
        query = (
            select(AgentGrant.object_id)
            .where(_grant(user_id, feed), AgentGrant.object_id > cursor.after)
            .order_by(AgentGrant.object_id)
            .limit(n)
        )
    return list(session.connection().execute(query).scalars())


def _delta_candidates(
    session: Session, user_id: str, feed: str, cursor: Cursor, n: int
) -> list[tuple[str, int]]:
    query = _delta_query(feed, bool(cursor.after))
    params = {"uid": user_id, "s": cursor.seq, "after": cursor.after, "n": n}
    return [(str(row[0]), int(row[1])) for row in session.connection().execute(query, params)]


@functools.cache
def _delta_query(feed: str, tie: bool) -> Select[Any]:
    """The candidates statement, built once per (feed, tie) with bound parameters ``uid``, ``s``,
    ``after``, ``n``: an idle pull then costs no statement construction."""
    uid, s = bindparam("uid", type_=String), bindparam("s", type_=BigInteger)

    def past(col: Any) -> ColumnElement[bool]:
        # Rows at exactly ``s`` matter only while paging through a batch that shares one seq.
        return col >= s if tie else col > s  # type: ignore[no-any-return]

    if feed == "patients":
        own = (
            select(Patient.id.label("oid"), Patient.seq.label("s"))
            .join(ListEntry, and_(ListEntry.patient_id == Patient.id, ListEntry.active))
            .join(
                AgentGrant,
                and_(AgentGrant.object_id == ListEntry.campaign_id, _grant(uid, "campaigns")),
            )
            .where(past(Patient.seq))
        )
        entries = (
            select(ListEntry.patient_id.label("oid"), ListEntry.seq.label("s"))
            .join(
                AgentGrant,
                and_(
                    AgentGrant.object_id == ListEntry.campaign_id,
                    _grant(uid, "campaigns", active_only=False),
                ),
            )
            .where(past(ListEntry.seq))
        )
        grants = (
            select(ListEntry.patient_id.label("oid"), AgentGrant.seq.label("s"))
            .join(
                AgentGrant,
                and_(
                    AgentGrant.object_id == ListEntry.campaign_id,
                    _grant(uid, "campaigns", active_only=False),
                ),
            )
            .where(past(AgentGrant.seq), ListEntry.active)
        )
        parts = [own, entries, grants]
    elif feed == _REASONS:
        # Every change is a candidate; whether it is an item or a deletion is read after.
        parts = [
            select(NotReadyReason.code.label("oid"), NotReadyReason.seq.label("s")).where(
                past(NotReadyReason.seq)
            )
        ]
    else:
        model = _SMALL_MODELS[feed]
        own = (
            select(model.id.label("oid"), model.seq.label("s"))
            .join(AgentGrant, and_(AgentGrant.object_id == model.id, _grant(uid, feed)))
            .where(past(model.seq))
        )
        grants = select(AgentGrant.object_id.label("oid"), AgentGrant.seq.label("s")).where(
            _grant(uid, feed, active_only=False), past(AgentGrant.seq)
        )
        parts = [own, grants]
    cand = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    eff = func.max(cand.c.s)
    after = bindparam("after", type_=String)
    keyset = or_(eff > s, and_(eff == s, cand.c.oid > after)) if tie else eff > s
    return (
        select(cand.c.oid, eff.label("eff"))
        .group_by(cand.c.oid)
        .having(keyset)
        .order_by(eff, cand.c.oid)
        .limit(bindparam("n", type_=Integer))
    )


def _in_slice(session: Session, user_id: str, feed: str, ids: Sequence[str]) -> set[str]:
    """Which of ``ids`` the agent still holds a grant for (campaigns, scripts, code trees), or
    which reasons are still on the list."""
    if feed == _REASONS:
        query = select(NotReadyReason.code).where(
            NotReadyReason.active, NotReadyReason.code.in_(ids)
        )
    else:
        query = select(AgentGrant.object_id).where(
            _grant(user_id, feed), AgentGrant.object_id.in_(ids)
        )
    return set(session.connection().execute(query).scalars())


def _load(session: Session, user_id: str, feed: str, ids: Sequence[str]) -> list[dict[str, Any]]:
    if not ids:
        return []
    if feed == "patients":
        visible = _visible_patients(session, user_id, ids)
        return [visible[i] for i in ids if i in visible]
    order = {oid: i for i, oid in enumerate(ids)}
    if feed == _REASONS:
        rows: Any = session.scalars(select(NotReadyReason).where(NotReadyReason.code.in_(ids)))
    else:
        model = _SMALL_MODELS[feed]
        rows = session.scalars(select(model).where(model.id.in_(ids)))
    out = [SERIALISERS[feed](row) for row in rows]
    out.sort(key=lambda item: order[item["id"]])
    return out


def _visible_patients(
    session: Session, user_id: str, ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Wire items of those of ``ids`` still in the agent's slice, with the agent's campaigns each
    is listed on.

    One query answers "is it still visible", "which campaign ids to show" and the patient's own
    columns (one row per patient and campaign; Core rows, no identity-map cost)."""
    rows = session.connection().execute(_VISIBLE_QUERY, {"uid": user_id, "ids": list(ids)})
    found: dict[str, tuple[Any, set[str]]] = {}
    for row in rows:
        entry = found.setdefault(row.id, (row, set()))
        entry[1].add(row.listed_on)
    return {pid: patient_out(row, sorted(campaigns)) for pid, (row, campaigns) in found.items()}


_VISIBLE_QUERY = (
    select(Patient.__table__, ListEntry.campaign_id.label("listed_on"))
    .join(ListEntry, and_(ListEntry.patient_id == Patient.id, ListEntry.active))
    .join(
        AgentGrant,
        and_(
            AgentGrant.object_id == ListEntry.campaign_id,
            _grant(bindparam("uid", type_=String), "campaigns"),
        ),
    )
    .where(Patient.id.in_(bindparam("ids", expanding=True)), Patient.deleted.is_(False))
)


def patient_out(p: Any, campaign_ids: list[str]) -> dict[str, Any]:
    """A patient row (ORM object or Core row) as the wire item."""
    return {
        "id": p.id,
        "mrn": p.mrn,
        "given_name": p.given_name,
        "family_name": p.family_name,
        "birth_date": p.birth_date.isoformat(),
        "phones": list(p.phones.get("items", [])),
        "language": p.language,
        "time_zone": p.time_zone,
        "consent_calls": p.consent_calls,
        "do_not_call": p.do_not_call,
        "care_program": p.care_program,
        "campaign_ids": campaign_ids,
        "address_city": p.address_city,
        "address_state": p.address_state,
        "version": p.version,
    }


def campaign_out(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "kind": c.kind,
        "calling_window": {"start": c.window_start, "end": c.window_end},
        "caller_id": c.caller_id,
        "max_attempts": c.max_attempts,
        "script_id": c.script_id,
        "code_tree_id": c.code_tree_id,
        "default_region": c.default_region,
        "directory": list((c.directory or {}).get("entries", [])),
        "wrap_up_s": c.wrap_up_s,
        "healthcare_exempt": c.healthcare_exempt,
        "exemption_caps": _caps_out(c),
        "voicemail_message": c.voicemail_message,
        "preview_s": c.preview_s,
        "recording_consent": c.recording_consent,
        "holidays": holiday_table(c.default_region, datetime.now(UTC).date()).to_wire(),
        "version": c.version,
    }


def _caps_out(c: Campaign) -> dict[str, int] | None:
    """The centre's exemption caps the desk judges this campaign's calls by (exempt only)."""
    if not c.healthcare_exempt or c.exempt_calls_per_day is None:
        return None
    if c.exempt_calls_per_week is None:
        return None
    return {"per_day": c.exempt_calls_per_day, "per_week": c.exempt_calls_per_week}


def script_out(s: Script) -> dict[str, Any]:
    return {"id": s.id, "name": s.name, "version": s.version, "variants": s.variants}


def code_tree_out(t: CodeTree) -> dict[str, Any]:
    return {"id": t.id, "name": t.name, "version": t.version, "codes": t.codes.get("codes", [])}


def not_ready_reason_out(r: NotReadyReason) -> dict[str, Any]:
    return {
        "id": r.code,
        "code": r.code,
        "label": r.label,
        "productive": r.productive,
        "position": r.position,
        "version": r.version,
    }


SERIALISERS: dict[str, Any] = {
    "campaigns": campaign_out,
    "scripts": script_out,
    "code_trees": code_tree_out,
    _REASONS: not_ready_reason_out,
}
