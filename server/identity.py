"""Sign-in, token rotation, lockout, device registration and request authentication."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, Select, String, bindparam, select, true, update
from sqlalchemy.orm import Session

from server.models import AuthSession, ChangeCounter, Device, User, utcnow
from server.security import new_token, token_digest, verify_password
from server.settings import ServerSettings


class AuthError(Exception):
    """Sign-in or token refused. ``status`` is 401 (bad credentials/token) or 423 (locked)."""

    def __init__(self, status: int, detail: str, *, wipe: bool = False) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.wipe = wipe


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user, their device, their session."""

    user_id: str
    username: str
    display_name: str
    role: str
    device_id: str
    session_id: str


def login(
    session: Session,
    settings: ServerSettings,
    *,
    username: str,
    password: str,
    client_device_id: str,
    device_name: str | None,
) -> Tokens | AuthError:
    """Check credentials and the device; a refusal is returned (not raised) so that the caller
    still commits the failed-attempt counter."""
    now = utcnow()
    user = session.scalar(select(User).where(User.username == username))
    if user is not None and user.locked_until is not None and user.locked_until > now:
        verify_password(None, password)  # same cost as a real check
        return AuthError(423, "account locked after repeated failed sign-ins; try again later")
    if user is None or not user.active or not verify_password(user.password_hash, password):
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= settings.lockout_failures:
                user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
                user.failed_logins = 0
        return AuthError(401, "bad username or password")
    device = session.scalar(
        select(Device).where(Device.user_id == user.id, Device.client_device_id == client_device_id)
    )
    if device is None:
        device = Device(user_id=user.id, client_device_id=client_device_id, name=device_name or "")
        session.add(device)
        session.flush()
    elif device.revoked_at is not None:
        return AuthError(423, "this workstation was revoked", wipe=device.wipe)
    user.failed_logins = 0
    user.locked_until = None
    device.last_seen_at = now
    return _issue(session, settings=settings, user=user, device=device, now=now)


def _issue(
    session: Session,
    *,
    settings: ServerSettings,
    user: User,
    device: Device,
    now: datetime,
    existing: AuthSession | None = None,
) -> Tokens:
    access, refresh = new_token(), new_token()
    row = existing or AuthSession(user_id=user.id, device_id=device.id)
    row.access_hash = token_digest(access)
    row.refresh_hash = token_digest(refresh)
    row.access_expires_at = now + timedelta(seconds=settings.access_token_ttl_s)
    row.refresh_expires_at = now + timedelta(seconds=settings.refresh_token_ttl_s)
    if existing is None:
        session.add(row)
    session.flush()
    return Tokens(access, refresh, settings.access_token_ttl_s, user)


def refresh(session: Session, settings: ServerSettings, refresh_token: str) -> Tokens:
    now = utcnow()
    row = session.scalar(
        select(AuthSession).where(AuthSession.refresh_hash == token_digest(refresh_token))
    )
    if row is None or row.revoked_at is not None or row.refresh_expires_at <= now:
        device = session.get(Device, row.device_id) if row is not None else None
        if device is not None and device.revoked_at is not None:
            raise AuthError(423, "this workstation was revoked", wipe=device.wipe)
        raise AuthError(401, "refresh token is invalid, expired or revoked")
    device = session.get(Device, row.device_id)
    user = session.get(User, row.user_id)
    assert device is not None and user is not None
    if device.revoked_at is not None:
        raise AuthError(423, "this workstation was revoked", wipe=device.wipe)
    if not user.active:
        raise AuthError(401, "account disabled")
    device.last_seen_at = now
    return _issue(session, settings=settings, user=user, device=device, now=now, existing=row)


def logout(session: Session, session_id: str) -> None:
    session.execute(
        update(AuthSession).where(AuthSession.id == session_id).values(revoked_at=utcnow())
    )


# Built once: the bearer lookup runs on every request.
_AUTH_COLUMNS = (
    AuthSession.id,
    AuthSession.access_expires_at,
    AuthSession.revoked_at,
    Device.id,
    Device.revoked_at,
    Device.wipe,
    User.id,
    User.username,
    User.display_name,
    User.role,
    User.active,
)


def _auth_query(*extra: Any) -> Select[Any]:
    return (
        select(*_AUTH_COLUMNS, *extra)
        .join(Device, Device.id == AuthSession.device_id)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.access_hash == bindparam("digest", type_=String))
    )


_AUTH_QUERY = _auth_query()
# A sync pull also needs the change counter: read it in the same round trip.
_counter = select(ChangeCounter).where(ChangeCounter.id == 1).subquery()
_AUTH_HEAD_QUERY = _auth_query(_counter.c.value, _counter.c.horizon).join(_counter, true())


def _principal(row: Row[Any]) -> Principal:
    (
        sid,
        expires,
        revoked,
        device_id,
        device_revoked,
        wipe,
        uid,
        username,
        display,
        role,
        active,
    ) = row[:11]
    if device_revoked is not None:
        raise AuthError(423, "this workstation was revoked", wipe=bool(wipe))
    if revoked is not None or expires <= utcnow() or not active:
        raise AuthError(401, "access token is expired or revoked")
    return Principal(uid, username, display, role, device_id, sid)


def authenticate(conn: Connection, access_token: str) -> Principal:
    """One indexed lookup: session + device + user for this bearer token.

    Nothing is cached: a revoked session or device is refused on its very next request."""
    row = conn.execute(_AUTH_QUERY, {"digest": token_digest(access_token)}).one_or_none()
    if row is None:
        raise AuthError(401, "access token is invalid")
    return _principal(row)


def authenticate_at_head(conn: Connection, access_token: str) -> tuple[Principal, int, int]:
    """:func:`authenticate` plus the change counter (latest committed seq, purge horizon), in
    one statement: the start of every sync pull."""
    row = conn.execute(_AUTH_HEAD_QUERY, {"digest": token_digest(access_token)}).one_or_none()
    if row is None:
        raise AuthError(401, "access token is invalid")
    return _principal(row), int(row[11]), int(row[12])
