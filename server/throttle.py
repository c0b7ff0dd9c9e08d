"""Sign-in limits kept in the database, so that every server process shares them: failed
attempts in a row per username (with a temporary lock that grows), and attempts per minute per
client address and per username. Each count is one atomic upsert, never read-modify-write."""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import case, delete, or_, update
from sqlalchemy.orm import Session

from server.models import SignInFailures, SignInWindow
from server.settings import ServerSettings

WINDOW_S = 60.0


def _insert(session: Session, model: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(model)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(model)


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt, counted before its password is checked. ``failures`` counts this
    attempt; None means the username is locked right now."""

    failures: int | None
    lock_level: int

    def allowed(self, settings: ServerSettings) -> bool:
        return self.failures is not None and self.failures <= settings.lockout_failures

    def reaches_limit(self, settings: ServerSettings) -> bool:
        return self.failures is not None and self.failures >= settings.lockout_failures


def reserve_attempt(session: Session, username: str, now: datetime) -> Attempt:
    """Count an attempt for ``username`` unless it is locked (then nothing is counted)."""
    stmt = _insert(session, SignInFailures).values(
        username=username, failures=1, lock_level=0, locked_until=None
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[SignInFailures.username],
        set_={"failures": SignInFailures.failures + 1},
        where=or_(SignInFailures.locked_until.is_(None), SignInFailures.locked_until <= now),
    ).returning(SignInFailures.failures, SignInFailures.lock_level)
    row = session.execute(stmt).one_or_none()
    if row is None:
        return Attempt(None, 0)
    return Attempt(int(row[0]), int(row[1]))


def lock_seconds(settings: ServerSettings, lock_level: int) -> float:
    """The first lock lasts ``lockout_first_seconds``; each one after it twice as long, up to
    ``lockout_minutes``."""
    cap = settings.lockout_minutes * 60.0
    return min(cap, settings.lockout_first_seconds * 2.0 ** min(lock_level, 30))


def lock(
    session: Session, settings: ServerSettings, username: str, attempt: Attempt, now: datetime
) -> None:
    """Lock ``username`` after the limit was reached; of parallel attempts, one applies it."""
    until = now + timedelta(seconds=lock_seconds(settings, attempt.lock_level))
    session.execute(
        update(SignInFailures)
        .where(
            SignInFailures.username == username,
            SignInFailures.failures >= settings.lockout_failures,
        )
        .values(failures=0, lock_level=SignInFailures.lock_level + 1, locked_until=until)
    )


def clear(session: Session, username: str) -> bool:
    """Forget the failures and lock of ``username`` (a successful sign-in, an admin's unlock)."""
    result = session.execute(delete(SignInFailures).where(SignInFailures.username == username))
    return bool(getattr(result, "rowcount", 0))


def hit(session: Session, key: str, per_minute: int, now: float | None = None) -> float:
    """Count an attempt under ``key``; 0 when allowed, else the seconds until one is.

    A window opens at its first attempt and lasts a minute; the count and the window move in
    one statement, so parallel attempts from any process are all counted."""
    now = time.time() if now is None else now
    fresh = SignInWindow.started > now - WINDOW_S
    stmt = _insert(session, SignInWindow).values(key=key, started=now, hits=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[SignInWindow.key],
        set_={
            "hits": case((fresh, SignInWindow.hits + 1), else_=1),
            "started": case((fresh, SignInWindow.started), else_=now),
        },
    ).returning(SignInWindow.started, SignInWindow.hits)
    started, hits = session.execute(stmt).one()
    if hits == 1 and int(now) % 16 == 0:
        # Now and then, drop windows long closed so the table stays the size of the last minute.
        session.execute(delete(SignInWindow).where(SignInWindow.started < now - 10 * WINDOW_S))
    if hits <= per_minute:
        return 0.0
    return max(0.001, float(started) + WINDOW_S - now)


@lru_cache(maxsize=16)
def _networks(
    proxies: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(address: str, networks: tuple[Any, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(peer: str, forwarded_for: str | None, settings: ServerSettings) -> str:
    """The client's address: the connection's peer, unless that peer is a configured trusted
    proxy; then the nearest address in ``X-Forwarded-For`` that is not one of the proxies."""
    networks = _networks(settings.trusted_proxies)
    if not networks or not forwarded_for or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop[:64]
    return hops[0][:64] if hops else peer
