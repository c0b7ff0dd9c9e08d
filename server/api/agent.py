"""Routes about the calling agent's own desk: the phone account."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from server import extensions
from server.api.auth import AUTH_ERRORS
from server.api.deps import CurrentPrincipal, RuntimeDep
from server.schemas import Detail, PhoneAccountOut

router = APIRouter(prefix="/api/v1/agent", tags=["agent"])

# The answer may hold a secret: no cache on the way may keep it.
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.get(
    "/phone",
    response_model=PhoneAccountOut,
    responses={**AUTH_ERRORS, 404: {"model": Detail, "description": "no extension assigned"}},
)
def my_phone(who: CurrentPrincipal, rt: RuntimeDep) -> Any:
    """The agent's SIP account; the password only on this workstation's first call for the
    current password version (``already_delivered`` says when it was sent before)."""
    with rt.sessions() as session, session.begin():
        delivery = extensions.deliver(
            session=session, box=rt.sip_box, user_id=who.user_id, device_id=who.device_id
        )
        ext = delivery.extension
        body = PhoneAccountOut(
            username=ext.sip_username,
            domain=ext.domain,
            registrar=ext.registrar,
            transport=ext.transport,
            password_version=ext.password_version,
            password=delivery.password,
            already_delivered=delivery.already_delivered,
        )
    return JSONResponse(body.model_dump(), headers=_NO_STORE)
