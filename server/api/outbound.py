"""Routes of outbound dialing: lease the next patient of a campaign, release or renew a lease,
the agent's leases and callbacks, a patient's attempt history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy.orm import Session

from pulse_contract import calling_rules as rules
from server import outbound
from server.api.auth import AUTH_ERRORS, iso
from server.api.deps import CurrentPrincipal, RuntimeDep
from server.runtime import Runtime
from server.schemas import (
    AttemptsOut,
    CallbacksOut,
    Detail,
    LeaseOut,
    LeasesOut,
    ReleaseIn,
)

router = APIRouter(
    prefix="/api/v1/agent",
    tags=["outbound"],
    responses={
        **AUTH_ERRORS,
        403: {"model": Detail, "description": "not assigned to this campaign or patient"},
        404: {"model": Detail, "description": "no such campaign or lease"},
    },
)
Id = Annotated[str, Path(min_length=1, max_length=64)]
_T = TypeVar("_T")


def caps_of(rt: Runtime) -> rules.ExemptionCaps:
    return outbound.caps_of(rt.settings)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else iso(value)


def verdict_out(v: rules.Verdict) -> dict[str, Any]:
    return {
        "allowed": v.allowed,
        "reason": v.reason,
        "message": v.message,
        "params": dict(v.params),
        "indicator": v.indicator,
        "next_allowed_at": _iso(v.next_allowed_at),
        "window_closes_at": _iso(v.window_closes_at),
    }


def lease_out(lease: outbound.Lease) -> dict[str, Any]:
    return {
        "lease_id": lease.lease_id,
        "campaign_id": lease.campaign_id,
        "patient_id": lease.patient_id,
        "source": lease.source,
        "due_at": _iso(lease.due_at),
        "callback_id": lease.callback_id,
        "callback_for": lease.callback_for,
        "attempts": lease.attempts,
        "expires_at": iso(lease.expires_at),
        "verdict": verdict_out(lease.verdict),
    }


def _run(rt: Runtime, action: Callable[[Session], _T]) -> _T:
    try:
        with rt.sessions() as session, session.begin():
            return action(session)
    except outbound.OutboundError as exc:
        raise HTTPException(exc.status, str(exc)) from None


@router.post(
    "/campaigns/{campaign_id}/next",
    response_model=LeasesOut,
    responses={409: {"model": Detail, "description": "an inbound campaign"}},
)
def lease_next(
    campaign_id: Id,
    who: CurrentPrincipal,
    rt: RuntimeDep,
    batch: Annotated[int, Query(ge=1, le=50)] = 1,
) -> Any:
    """Lease the next patient of the campaign to the caller: due callbacks first (theirs and
    anyone's), then due retries, then the list, each allowed by the calling rules now.

    ``batch`` > 1 pre-leases several (an agent about to work offline), for longer; a batch
    above the server's ``max_lease_batch`` (10 by default) gets that many. An empty
    ``leases`` says nobody is callable now; ``next_due_at`` then says when a waiting patient
    falls due, if one does."""
    settings = rt.settings
    batch = min(batch, settings.max_lease_batch)  # a larger ask gets the server's bound
    ttl = timedelta(seconds=settings.lease_ttl_s if batch == 1 else settings.batch_lease_ttl_s)

    def claim(session: Session) -> tuple[list[outbound.Lease], datetime | None]:
        with outbound.claim_guard(session):
            return outbound.claim(
                session,
                campaign_id=campaign_id,
                user_id=who.user_id,
                batch=batch,
                ttl=ttl,
                caps=caps_of(rt),
                now=rt.clock(),
            )

    leases, next_due = _run(rt, claim)
    return {"leases": [lease_out(x) for x in leases], "next_due_at": _iso(next_due)}


@router.get("/leases", response_model=LeasesOut)
def my_leases(who: CurrentPrincipal, rt: RuntimeDep) -> Any:
    """The caller's live leases, each with the rules' verdict now."""
    with rt.sessions() as session:
        leases = outbound.my_leases(session, who.user_id, caps_of(rt), rt.clock())
    return {"leases": [lease_out(x) for x in leases], "next_due_at": None}


@router.post("/leases/{lease_id}/release", status_code=204)
def release_lease(lease_id: Id, body: ReleaseIn, who: CurrentPrincipal, rt: RuntimeDep) -> None:
    """Give the patient back without a call (a skip, recorded with its reason); nobody is
    offered them again for ``retry_in_s``."""
    _run(
        rt,
        lambda session: outbound.release(
            session,
            lease_id=lease_id,
            user_id=who.user_id,
            reason=body.reason,
            retry_in=timedelta(seconds=body.retry_in_s),
            now=rt.clock(),
        ),
    )


@router.post("/leases/{lease_id}/renew", response_model=LeaseOut)
def renew_lease(lease_id: Id, who: CurrentPrincipal, rt: RuntimeDep) -> Any:
    """Extend a live lease by the server's lease time (a long call or preview)."""
    lease = _run(
        rt,
        lambda session: outbound.renew(
            session,
            lease_id=lease_id,
            user_id=who.user_id,
            ttl=timedelta(seconds=rt.settings.lease_ttl_s),
            caps=caps_of(rt),
            now=rt.clock(),
        ),
    )
    return lease_out(lease)


@router.get("/callbacks", response_model=CallbacksOut)
def my_callbacks(who: CurrentPrincipal, rt: RuntimeDep) -> Any:
    """Pending callbacks the caller may take (theirs, and anyone's on their campaigns), by due
    time."""
    with rt.sessions() as session:
        rows = outbound.callbacks_for(session, who.user_id)
        return {
            "callbacks": [
                {
                    "callback_id": r.callback_id,
                    "campaign_id": r.campaign_id,
                    "patient_id": r.patient_id,
                    "due_at": iso(r.due_at),
                    "callback_for": "anyone" if r.callback_for is None else "me",
                    "leased": r.state == "leased",
                }
                for r in rows
            ]
        }


@router.get("/patients/{patient_id}/attempts", response_model=AttemptsOut)
def patient_attempts(
    patient_id: Id,
    who: CurrentPrincipal,
    rt: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Any:
    """The patient's calls and skips across campaigns, newest first (ids and codes only)."""
    with rt.sessions() as session:
        if not outbound.may_see_patient(session, who.user_id, patient_id):
            raise HTTPException(403, "the patient is not on your campaigns")
        rows = outbound.attempts_of(session, patient_id, limit)
        return {
            "patient_id": patient_id,
            "attempts": [
                {
                    "at": iso(r.at),
                    "campaign_id": r.campaign_id,
                    "kind": r.kind,
                    "code": r.code,
                    "exempt": r.exempt,
                    "agent_id": r.user_id,
                }
                for r in rows
            ],
        }
