"""Identity routes: login, refresh, logout, server time, health."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from server import content, enrolment, identity, throttle
from server.api.deps import CurrentPrincipal, RuntimeDep
from server.runtime import Runtime
from server.schemas import (
    AgentOut,
    Detail,
    EnrolIn,
    EnrolOut,
    HealthOut,
    LockedDetail,
    LoginIn,
    PasswordChangeDetail,
    PasswordChangeIn,
    RefreshIn,
    TimeOut,
    TokenOut,
)

router = APIRouter(prefix="/api/v1", tags=["identity"])

AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Detail, "description": "not signed in, bad or expired token"},
    423: {"model": LockedDetail, "description": "account locked or workstation revoked"},
}
SIGN_IN_ERRORS: dict[int | str, dict[str, Any]] = {
    **AUTH_ERRORS,
    403: {"model": PasswordChangeDetail, "description": "a new password must be chosen first"},
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


def _sign_in(rt: Runtime, body: LoginIn, *, new_password: str | None = None) -> TokenOut:
    """Sign in with the body's credentials and workstation proof (and set a new password)."""
    tokens = identity.login(
        rt.sessions,
        rt.settings,
        username=body.username,
        password=body.password,
        client_device_id=body.device_id,
        device_name=body.device_name,
        new_password=new_password,
        proof=enrolment.Proof(body.signed_at, body.device_signature),
    )
    return _token_out(tokens)


def _throttled(rt: Runtime, request: Request, username: str) -> JSONResponse | None:
    """Count the attempt per client address and per username (shared by all workers)."""
    peer = request.client.host if request.client else "unknown"
    client = throttle.client_address(peer, request.headers.get("x-forwarded-for"), rt.settings)
    per_minute = rt.settings.login_rate_per_minute
    with rt.sessions() as session, session.begin():
        wait = max(
            throttle.hit(session, "client:" + client, per_minute),
            throttle.hit(session, "user:" + username.lower()[:80], per_minute),
        )
    if wait <= 0:
        return None
    return JSONResponse(
        {"detail": "too many sign-in attempts; wait and retry"},
        status_code=429,
        headers={"Retry-After": str(int(wait) + 1)},
    )


@router.post(
    "/auth/login",
    response_model=TokenOut,
    responses={**SIGN_IN_ERRORS, 429: {"model": Detail, "description": "too many attempts"}},
)
def login(body: LoginIn, request: Request, rt: RuntimeDep) -> Any:
    refused = _throttled(rt, request, body.username)
    if refused is not None:
        return refused
    return _sign_in(rt, body)


@router.post(
    "/auth/change_password",
    response_model=TokenOut,
    responses={**SIGN_IN_ERRORS, 429: {"model": Detail, "description": "too many attempts"}},
)
def change_password(body: PasswordChangeIn, request: Request, rt: RuntimeDep) -> Any:
    """Sign in and replace the password in one step (required after an admin's reset)."""
    refused = _throttled(rt, request, body.username)
    if refused is not None:
        return refused
    if body.new_password == body.password:
        raise HTTPException(422, "the new password must differ from the old one")
    return _sign_in(rt, body, new_password=body.new_password)


@router.post("/auth/refresh", response_model=TokenOut, responses=AUTH_ERRORS)
def refresh(body: RefreshIn, rt: RuntimeDep) -> Any:
    with rt.sessions() as session, session.begin():
        outcome = identity.refresh(
            session,
            rt.settings,
            body.refresh_token,
            enrolment.Proof(body.signed_at, body.device_signature),
        )
    if isinstance(outcome, identity.AuthError):
        raise outcome
    return _token_out(outcome)


@router.post(
    "/workstations/enrol",
    response_model=EnrolOut,
    responses={
        400: {"model": Detail, "description": "the public key is not an Ed25519 key"},
        401: {"model": Detail, "description": "not signed by the key it registers"},
        403: {"model": Detail, "description": "the code is wrong, used or expired"},
        409: {"model": Detail, "description": "already enrolled"},
        429: {"model": Detail, "description": "too many attempts"},
    },
)
def enrol(body: EnrolIn, request: Request, rt: RuntimeDep) -> Any:
    """A workstation joins: with IT's one-time code at once, without one as a request an
    admin approves. It registers the public half of the key it keeps in its keyring."""
    refused = _throttled(rt, request, "enrol:" + body.device_id)
    if refused is not None:
        return refused
    try:
        with rt.sessions() as session, session.begin():
            workstation = enrolment.enrol(
                session,
                device_id=body.device_id,
                public_key=body.public_key,
                name=body.name,
                code=body.code,
                proof=enrolment.Proof(body.signed_at, body.signature),
            )
            content.audit(session, None, "workstation.enrol", "workstation", workstation.id)
            out = EnrolOut(workstation_id=workstation.id, status=workstation.status)
    except enrolment.EnrolmentError as exc:
        raise HTTPException(exc.status, exc.detail) from None
    return out


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
