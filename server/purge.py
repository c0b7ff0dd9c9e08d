"""The scheduled purge: sign-in sessions that ended long ago, and tombstones past the retention.

Tombstones (a patient taken off a list, a campaign grant taken back) carry a change seq but no
time; each run records a :class:`~server.models.PurgeMark` (now, current seq), and a tombstone
is old once its seq is at or below the newest mark older than the retention. The purge raises
the cursor horizon to that seq, so a workstation that has not seen a purged tombstone gets
410 Gone and re-downloads a snapshot instead of silently keeping the row. Every process may run
it (``purge_interval_minutes``) or a timer may run ``pulse-server purge``: it is idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from server.audit import audit
from server.db import current_seq
from server.models import AgentGrant, AuthSession, ChangeCounter, ListEntry, PurgeMark, utcnow
from server.settings import ServerSettings

log = logging.getLogger("pulse.server.purge")


@dataclass(frozen=True)
class PurgeResult:
    sessions: int = 0
    list_entries: int = 0
    grants: int = 0
    horizon: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _deleted(session: Session, statement: Any) -> int:
    return cast(CursorResult[Any], session.execute(statement)).rowcount


def purge(
    factory: sessionmaker[Session], settings: ServerSettings, *, now: datetime | None = None
) -> PurgeResult:
    """One purge run, in one transaction."""
    now = now or utcnow()
    with factory() as session, session.begin():
        session_cut = now - timedelta(days=settings.session_retention_days)
        ended = _deleted(
            session,
            delete(AuthSession).where(
                or_(
                    AuthSession.refresh_expires_at < session_cut,
                    AuthSession.revoked_at < session_cut,
                )
            ),
        )
        session.add(PurgeMark(at=now, seq=current_seq(session)[0]))
        tomb_cut = now - timedelta(days=settings.tombstone_retention_days)
        old = session.scalar(select(func.max(PurgeMark.seq)).where(PurgeMark.at <= tomb_cut))
        entries = grants = 0
        horizon = current_seq(session)[1]
        if old is not None:
            entries = _deleted(
                session, delete(ListEntry).where(ListEntry.active.is_(False), ListEntry.seq <= old)
            )
            grants = _deleted(
                session,
                delete(AgentGrant).where(AgentGrant.active.is_(False), AgentGrant.seq <= old),
            )
            if old > horizon:
                session.execute(
                    update(ChangeCounter).where(ChangeCounter.id == 1).values(horizon=old)
                )
                horizon = old
            # The newest mark past the retention is all the next run needs of the old ones.
            session.execute(delete(PurgeMark).where(PurgeMark.at <= tomb_cut, PurgeMark.seq < old))
        result = PurgeResult(ended, entries, grants, horizon)
        if ended or entries or grants:
            audit(session, "purge", target_type="server", detail=result.as_dict())
    return result


async def run_forever(factory: sessionmaker[Session], settings: ServerSettings) -> None:
    """The in-process schedule: a first run shortly after start, then one per interval."""
    interval = settings.purge_interval_minutes * 60.0
    await asyncio.sleep(min(interval, 30.0))
    while True:
        try:
            done = await asyncio.to_thread(purge, factory, settings)
            log.info("purge: %s", done.as_dict())
        except Exception:
            # A failed run (database away, a lock timeout) waits for the next one.
            log.exception("purge failed")
        await asyncio.sleep(interval)


__all__ = ["PurgeResult", "purge", "run_forever"]
