"""Identity routes: login, refresh, logout, server time, health."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from server import identity
from server.api.deps import CurrentPrincipal, RuntimeDep
from server.schemas import (
    AgentOut,
    Detail,
    HealthOut,
    LockedDetail,
    LoginIn,
    RefreshIn,
    TimeOut,
    TokenOut,
)

router = APIRouter(prefix="/api/v1", tags=["identity"])

AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Detail, "description": "not signed in, bad or expired token"},
    423: {"model": LockedDetail, "description": "account locked or workstation revoked"},
}


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _token_out(tokens: identity.Tokens) -> TokenOut:
    user = tokens.user
    return TokenOut(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
        agent=AgentOut(
            id=user.id, username=user.username, display_name=user.display_name, role=user.role
        ),
    )


@router.post(
    "/auth/login",
    response_model=TokenOut,
    responses={**AUTH_ERRORS, 429: {"model": Detail, "description": "too many attempts"}},
)
def login(body: LoginIn, request: Request, rt: RuntimeDep) -> Any:
    client = request.client.host if request.client else "unknown"
    wait = max(rt.login_by_client.hit(client), rt.login_by_user.hit(body.username.lower()))
    if wait > 0:
        return JSONResponse(
            {"detail": "too many sign-in attempts; wait and retry"},
            status_code=429,
            headers={"Retry-After": str(int(wait) + 1)},
        )
    with rt.sessions() as session:
        outcome = identity.login(
            session,
            rt.settings,
            username=body.username,
            password=body.password,
            client_device_id=body.device_id,
            device_name=body.device_name,
        )
        session.commit()
    if isinstance(outcome, identity.AuthError):
        raise outcome
    return _token_out(outcome)


@router.post("/auth/refresh", response_model=TokenOut, responses=AUTH_ERRORS)
def refresh(body: RefreshIn, rt: RuntimeDep) -> Any:
    with rt.sessions() as session, session.begin():
        tokens = identity.refresh(session, rt.settings, body.refresh_token)
    return _token_out(tokens)


@router.post("/auth/logout", status_code=204, responses=AUTH_ERRORS)
def logout(who: CurrentPrincipal, rt: RuntimeDep) -> Response:
    with rt.sessions() as session, session.begin():
        identity.logout(session, who.session_id)
    return Response(status_code=204)


@router.get("/me", response_model=AgentOut, responses=AUTH_ERRORS)
def me(who: CurrentPrincipal) -> Any:
    return AgentOut(
        id=who.user_id, username=who.username, display_name=who.display_name, role=who.role
    )


@router.get("/time", response_model=TimeOut)
def server_time() -> Any:
    return TimeOut(server_time=iso(datetime.now(UTC)))


@router.get("/health", response_model=HealthOut)
def health() -> Any:
    return HealthOut()
