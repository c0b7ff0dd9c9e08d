"""Sync routes: the delta feeds, intake, and the agent's own dispositions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from sqlalchemy import select

from server import feeds, intake
from server.api.auth import AUTH_ERRORS, iso
from server.api.deps import Bearer, CurrentPrincipal, RuntimeDep, bearer_token
from server.audit import audit
from server.cursors import CursorGone
from server.identity import authenticate, authenticate_at_head
from server.models import IntakeItem
from server.runtime import Runtime
from server.schemas import (
    CampaignPage,
    CodeTreePage,
    Detail,
    IntakeBatch,
    IntakeItemOut,
    IntakeOut,
    NotReadyReasonPage,
    PatientPage,
    ScriptPage,
)

router = APIRouter(prefix="/api/v1", tags=["sync"])

FEED_ERRORS: dict[int | str, dict[str, Any]] = {
    **AUTH_ERRORS,
    410: {"model": Detail, "description": "cursor too old or unknown: restart with a snapshot"},
}
Cursor = Annotated[str | None, Query(max_length=512)]
Limit = Annotated[int, Query(ge=1, le=1000)]


def _page(
    rt: Runtime, credentials: Bearer, feed: str, cursor: str | None, limit: int
) -> JSONResponse:
    """Authenticate and read one page on one connection, in one worker thread (the hot path)."""
    token = bearer_token(credentials)
    with rt.read_sessions() as session:
        who, head, horizon = authenticate_at_head(session.connection(), token)
        decoded = None
        if cursor:
            try:
                decoded = rt.cursors.decode(cursor, user_id=who.user_id, feed=feed, horizon=horizon)
            except CursorGone as exc:
                raise HTTPException(410, str(exc)) from None
        page = feeds.read_page(session, who.user_id, feed, decoded, limit, head=head)
    if feed == "patients" and page.items:
        # What PHI went to which workstation (HIPAA 164.312(b)): ids, device, time; recorded
        # before the page leaves, so no patient is sent unaccounted for.
        with rt.sessions() as session, session.begin():
            audit(
                session,
                "phi.sent",
                actor=who.user_id,
                device=who.device_id,
                target_type="patients",
                detail={"patient_ids": [item["id"] for item in page.items]},
            )
    return JSONResponse(
        {
            "items": page.items,
            "deleted": page.deleted,
            "cursor": rt.cursors.encode(page.cursor, user_id=who.user_id, feed=feed),
            "has_more": page.has_more,
            "snapshot": page.snapshot,
        }
    )


@router.get("/sync/patients", response_model=PatientPage, responses=FEED_ERRORS)
def sync_patients(
    rt: RuntimeDep, credentials: Bearer, cursor: Cursor = None, limit: Limit = 500
) -> Any:
    return _page(rt, credentials, "patients", cursor, limit)


@router.get("/sync/campaigns", response_model=CampaignPage, responses=FEED_ERRORS)
def sync_campaigns(
    rt: RuntimeDep, credentials: Bearer, cursor: Cursor = None, limit: Limit = 500
) -> Any:
    return _page(rt, credentials, "campaigns", cursor, limit)


@router.get("/sync/scripts", response_model=ScriptPage, responses=FEED_ERRORS)
def sync_scripts(
    rt: RuntimeDep, credentials: Bearer, cursor: Cursor = None, limit: Limit = 500
) -> Any:
    return _page(rt, credentials, "scripts", cursor, limit)


@router.get("/sync/code_trees", response_model=CodeTreePage, responses=FEED_ERRORS)
def sync_code_trees(
    rt: RuntimeDep, credentials: Bearer, cursor: Cursor = None, limit: Limit = 500
) -> Any:
    return _page(rt, credentials, "code_trees", cursor, limit)


@router.get("/sync/not_ready_reasons", response_model=NotReadyReasonPage, responses=FEED_ERRORS)
def sync_not_ready_reasons(
    rt: RuntimeDep, credentials: Bearer, cursor: Cursor = None, limit: Limit = 500
) -> Any:
    """The not-ready reasons, the same for every agent."""
    return _page(rt, credentials, "not_ready_reasons", cursor, limit)


@router.post(
    "/intake",
    response_model=IntakeOut,
    responses={**AUTH_ERRORS, 413: {"model": Detail, "description": "more than 500 items"}},
)
def post_intake(body: IntakeBatch, credentials: Bearer, rt: RuntimeDep) -> Any:
    token = bearer_token(credentials)
    if len(body.items) > intake.MAX_ITEMS:
        with rt.engine.connect() as conn:
            authenticate(conn, token)
        return JSONResponse(
            {"detail": f"at most {intake.MAX_ITEMS} items per batch"}, status_code=413
        )
    # Autocommit: the batch is stored by one INSERT that commits by itself.
    with rt.read_engine.connect() as conn:
        who = authenticate(conn, token)
        results = intake.accept(conn, who, body.items)
    return JSONResponse({"results": [r.model_dump() for r in results]})


def intake_out(row: IntakeItem) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "agent_id": row.user_id,
        "device_id": row.device_id,
        "patient_id": row.patient_id,
        "campaign_id": row.campaign_id,
        "created_at": iso(row.created_at),
        "received_at": iso(row.received_at),
        "payload": row.payload,
    }


@router.get("/dispositions", response_model=list[IntakeItemOut], responses=AUTH_ERRORS)
def my_dispositions(
    who: CurrentPrincipal, rt: RuntimeDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> Any:
    """The caller's own dispositions, newest first (supervisors use the admin listing)."""
    with rt.sessions() as session:
        rows = session.scalars(
            select(IntakeItem)
            .where(IntakeItem.user_id == who.user_id, IntakeItem.kind == "disposition")
            .order_by(IntakeItem.received_at.desc(), IntakeItem.id)
            .limit(limit)
        )
        return [intake_out(r) for r in rows]
