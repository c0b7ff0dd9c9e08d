"""Sign-in, token rotation, lockout, device registration, request authentication, and the
admin's account controls (disable, enable, password reset, unlock).

Failure counting and rate windows live in the database (:mod:`server.throttle`), so they hold
under parallel attempts and across every server process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, Select, String, bindparam, select, true, update
from sqlalchemy.orm import Session, sessionmaker

from server import audit as audit_trail
from server import enrolment, throttle
from server.models import (
    AuthSession,
    ChangeCounter,
    Device,
    RetiredRefreshToken,
    SignInFailures,
    User,
    utcnow,
)
from server.security import hash_password, new_token, token_digest, verify_password
from server.settings import ServerSettings

BAD_CREDENTIALS = "bad username or password"
LOCKED = "sign-in locked after too many failed attempts; wait a few minutes and try again"
NO_PROOF = enrolment.Proof(None, None)
MUST_CHANGE = "your password was reset; choose a new password to sign in"


class AuthError(Exception):
    """Sign-in or token refused. ``status`` is 401 (bad credentials/token), 403 (a new password
    must be chosen first) or 423 (locked, or the workstation was revoked)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        wipe: bool = False,
        change_password: bool = False,
        enrolment_required: bool = False,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.wipe = wipe
        self.change_password = change_password
        self.enrolment_required = enrolment_required


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
    sessions: sessionmaker[Session],
    settings: ServerSettings,
    *,
    username: str,
    password: str,
    client_device_id: str,
    device_name: str | None,
    new_password: str | None = None,
    proof: enrolment.Proof = NO_PROOF,
) -> Tokens:
    """Check credentials and the device, or raise :class:`AuthError`.

    An unknown username, a wrong password and a disabled account get the same answer after the
    same work (one password hash). The attempt is counted before the hash is checked, so
    parallel guesses cannot get past the limit. ``new_password`` replaces the password in the
    same step (required after an admin's reset)."""
    with sessions() as session:
        refused = enrolment.check_sign_in(
            session, settings, device_id=client_device_id, username=username, proof=proof
        )
    if refused is not None:
        _audit_alone(
            sessions, "auth.workstation_refused", target_type="device", target_id=client_device_id
        )
        raise AuthError(
            refused.status,
            refused.detail,
            enrolment_required=refused.detail == enrolment.NOT_ENROLLED,
        )
    with sessions() as session, session.begin():
        attempt = throttle.reserve_attempt(session, username, utcnow())
    with sessions() as session:
        user = session.scalar(select(User).where(User.username == username))
    if not attempt.allowed(settings):
        verify_password(None, password)  # same cost as a real check
        if attempt.failures is not None:
            with sessions() as session, session.begin():
                throttle.lock(session, settings, username, attempt, utcnow())
        _audit_alone(
            sessions, "auth.sign_in_locked", target_type="username", target_id=username[:64]
        )
        raise AuthError(423, LOCKED)
    good = user is not None and user.active and verify_password(user.password_hash, password)
    if not good or user is None:
        if attempt.reaches_limit(settings):
            with sessions() as session, session.begin():
                throttle.lock(session, settings, username, attempt, utcnow())
        _audit_alone(
            sessions, "auth.sign_in_failed", target_type="username", target_id=username[:64]
        )
        raise AuthError(401, BAD_CREDENTIALS)
    if user.must_change_password and new_password is None:
        with sessions() as session, session.begin():
            throttle.clear(session, username)
        raise AuthError(403, MUST_CHANGE, change_password=True)
    with sessions() as session, session.begin():
        throttle.clear(session, username)
        user = session.get(User, user.id)
        assert user is not None
        if new_password is not None:
            user.password_hash = hash_password(new_password)
            user.must_change_password = False
        return _sign_in_device(
            session, settings, user=user, client_device_id=client_device_id, name=device_name
        )


def _audit_alone(sessions: sessionmaker[Session], action: str, **fields: Any) -> None:
    """An audit row in a transaction of its own: a refused sign-in has no other write to join."""
    with sessions() as session, session.begin():
        audit_trail.audit(session, action, **fields)


def _sign_in_device(
    session: Session,
    settings: ServerSettings,
    *,
    user: User,
    client_device_id: str,
    name: str | None,
) -> Tokens:
    now = utcnow()
    device = session.scalar(
        select(Device).where(Device.user_id == user.id, Device.client_device_id == client_device_id)
    )
    if device is None:
        device = Device(user_id=user.id, client_device_id=client_device_id, name=name or "")
        session.add(device)
        session.flush()
    elif device.revoked_at is not None:
        raise AuthError(423, "this workstation was revoked", wipe=device.wipe)
    device.last_seen_at = now
    audit_trail.audit(session, "auth.sign_in", actor=user.id, device=device.id)
    access, refresh_token = new_token(), new_token()
    session_end = now + timedelta(hours=settings.session_max_hours)
    row = AuthSession(
        user_id=user.id,
        device_id=device.id,
        access_hash=token_digest(access),
        refresh_hash=token_digest(refresh_token),
        access_expires_at=min(now + timedelta(seconds=settings.access_token_ttl_s), session_end),
        refresh_expires_at=min(now + timedelta(seconds=settings.refresh_token_ttl_s), session_end),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return Tokens(access, refresh_token, settings.access_token_ttl_s, user)


def _rotation(
    settings: ServerSettings, now: datetime, created_at: datetime | None = None
) -> tuple[str, str, dict[str, Any]]:
    """New tokens and the column values that install them; a session never outlives
    ``session_max_hours`` from its sign-in."""
    access, refresh_token = new_token(), new_token()
    access_end = now + timedelta(seconds=settings.access_token_ttl_s)
    refresh_end = now + timedelta(seconds=settings.refresh_token_ttl_s)
    if created_at is not None:
        session_end = created_at + timedelta(hours=settings.session_max_hours)
        access_end, refresh_end = min(access_end, session_end), min(refresh_end, session_end)
    return (
        access,
        refresh_token,
        {
            "access_hash": token_digest(access),
            "refresh_hash": token_digest(refresh_token),
            "access_expires_at": access_end,
            "refresh_expires_at": refresh_end,
        },
    )


def refresh(
    session: Session,
    settings: ServerSettings,
    refresh_token: str,
    proof: enrolment.Proof = NO_PROOF,
) -> Tokens | AuthError:
    """Rotate a session's tokens. A refusal is returned (not raised) so that the caller still
    commits what it did: presenting a token the session has rotated past (outside the grace
    for the one just before) ends that whole session."""
    now = utcnow()
    digest = token_digest(refresh_token)
    oldest_start = now - timedelta(hours=settings.session_max_hours)
    live = (
        AuthSession.revoked_at.is_(None),
        AuthSession.refresh_expires_at > now,
        AuthSession.created_at > oldest_start,
    )
    # The UPDATE claims the row first (PostgreSQL's row lock, SQLite's write lock): of two
    # refreshes racing with the same token, exactly one rotates it.
    row = session.execute(
        update(AuthSession)
        .where(AuthSession.refresh_hash == digest, *live)
        .values(
            previous_refresh_hash=digest,
            previous_refresh_until=now + timedelta(seconds=settings.refresh_grace_s),
        )
        .returning(AuthSession.id, AuthSession.created_at)
    ).one_or_none()
    if row is not None:
        session.add(RetiredRefreshToken(digest=digest, session_id=row.id))
        return _rotate(session, settings, row.id, row.created_at, now, refresh_token, proof)
    previous = session.scalar(
        select(AuthSession).where(AuthSession.previous_refresh_hash == digest).with_for_update()
    )
    if previous is not None and previous.revoked_at is None:
        in_grace = (
            previous.previous_refresh_until is not None
            and previous.previous_refresh_until > now
            and previous.created_at > oldest_start
        )
        if in_grace:
            # Once only: the token handed out at the rotation (never kept by the client) retires.
            session.add(RetiredRefreshToken(digest=previous.refresh_hash, session_id=previous.id))
            previous.previous_refresh_hash = None
            previous.previous_refresh_until = None
            session.flush()
            return _rotate(
                session, settings, previous.id, previous.created_at, now, refresh_token, proof
            )
    retired = session.scalar(
        select(RetiredRefreshToken.session_id).where(RetiredRefreshToken.digest == digest)
    )
    if retired is not None:
        session.execute(
            update(AuthSession)
            .where(AuthSession.id == retired, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        audit_trail.audit(session, "auth.refresh_reused", target_type="session", target_id=retired)
        return AuthError(401, "refresh token was already used; sign in again")
    stale = session.scalar(select(AuthSession).where(AuthSession.refresh_hash == digest))
    device = session.get(Device, stale.device_id) if stale is not None else None
    if device is not None and device.revoked_at is not None:
        return AuthError(423, "this workstation was revoked", wipe=device.wipe)
    return AuthError(401, "refresh token is invalid, expired or revoked")


def _rotate(  # noqa: PLR0917 (one caller's parts)
    session: Session,
    settings: ServerSettings,
    session_id: str,
    created_at: datetime,
    now: datetime,
    refresh_token: str,
    proof: enrolment.Proof,
) -> Tokens | AuthError:
    row = session.get(AuthSession, session_id)
    assert row is not None
    device = session.get(Device, row.device_id)
    user = session.get(User, row.user_id)
    assert device is not None and user is not None
    if device.revoked_at is not None:
        session.rollback()
        return AuthError(423, "this workstation was revoked", wipe=device.wipe)
    if not user.active:
        session.rollback()
        return AuthError(401, "account disabled")
    refused = enrolment.check_refresh(session, device.client_device_id, refresh_token, proof)
    if refused is not None:
        session.rollback()
        return AuthError(refused.status, refused.detail)
    access, refresh_token, values = _rotation(settings, now, created_at)
    for name, value in values.items():
        setattr(row, name, value)
    device.last_seen_at = now
    audit_trail.audit(session, "auth.refresh", actor=user.id, device=device.id)
    session.flush()
    return Tokens(access, refresh_token, settings.access_token_ttl_s, user)


def logout(session: Session, session_id: str) -> None:
    session.execute(
        update(AuthSession).where(AuthSession.id == session_id).values(revoked_at=utcnow())
    )
    audit_trail.audit(session, "auth.sign_out", target_type="session", target_id=session_id)


# --- the admin's account controls ------------------------------------------------------------


def end_sessions(session: Session, user_id: str) -> int:
    """Revoke every live session of a user: their access and refresh tokens stop at once."""
    result = session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def set_active(session: Session, user: User, active: bool) -> None:
    user.active = active
    if not active:
        end_sessions(session, user.id)


def reset_password(session: Session, user: User, password: str) -> None:
    """A temporary password the user must replace at their next sign-in; their sessions end."""
    user.password_hash = hash_password(password)
    user.must_change_password = True
    end_sessions(session, user.id)
    throttle.clear(session, user.username)


def unlock(session: Session, username: str) -> bool:
    """Clear the failures and any lock of a username; True when there was something to clear."""
    return throttle.clear(session, username)


def lock_state(session: Session, username: str) -> datetime | None:
    """When the current lock of a username ends, or None when it is not locked."""
    until = session.scalar(
        select(SignInFailures.locked_until).where(SignInFailures.username == username)
    )
    return until if until is not None and until > utcnow() else None


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
