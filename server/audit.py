"""The server's audit trail: one append-only, hash-chained table (``admin_audit``).

Every row hashes the previous row's hash and its own content, so an edited, deleted or inserted
row breaks the chain from that row on; :func:`verify_chain` (``pulse-server audit verify``) names
the first broken row. Writers serialise on the chain head row (``audit_chain``, id 1): the
``UPDATE`` that takes the next position holds its lock (a row lock on PostgreSQL, the write lock
on SQLite) until the transaction ends, so positions follow commit order across every worker.
Rows name ids only, never PHI.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.models import AdminAudit, AuditChain, utcnow

GENESIS = "0" * 64
"""The previous hash of the first row."""


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(
    prev_hash: str,
    *,
    position: int,
    at: datetime,
    actor_id: str | None,
    device_id: str | None,
    action: str,
    target_type: str,
    target_id: str | None,
    detail: Mapping[str, Any],
) -> str:
    """SHA-256 of the previous hash and the row's content in canonical JSON (sorted keys, no
    spaces): the one serialisation both the writer and the verifier use."""
    content = json.dumps(
        {
            "position": position,
            "at": _iso(at),
            "actor_id": actor_id,
            "device_id": device_id,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "detail": detail,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


def audit(
    session: Session,
    action: str,
    *,
    actor: str | None = None,
    device: str | None = None,
    target_type: str = "",
    target_id: str | None = None,
    detail: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Append one audit row inside the caller's transaction (it is kept only if that commits).

    ``actor`` is a user id, ``device`` a device id; ``detail`` holds ids and counts only. The
    first call in a transaction locks the chain head until commit or rollback."""
    # A JSON round trip: the hash covers exactly what the database will give back.
    clean = json.loads(json.dumps(dict(detail or {}), default=str))
    when = (at or utcnow()).astimezone(UTC)
    session.execute(
        update(AuditChain).where(AuditChain.id == 1).values(position=AuditChain.position + 1)
    )
    position, prev = session.execute(
        select(AuditChain.position, AuditChain.head_hash).where(AuditChain.id == 1)
    ).one()
    digest = row_hash(
        prev,
        position=position,
        at=when,
        actor_id=actor,
        device_id=device,
        action=action,
        target_type=target_type,
        target_id=target_id,
        detail=clean,
    )
    session.add(
        AdminAudit(
            position=position,
            at=when,
            actor_id=actor,
            device_id=device,
            action=action,
            target_type=target_type,
            target_id=target_id,
            detail=clean,
            prev_hash=prev,
            row_hash=digest,
        )
    )
    session.execute(update(AuditChain).where(AuditChain.id == 1).values(head_hash=digest))
    session.flush()


@dataclass(frozen=True)
class ChainReport:
    """What :func:`verify_chain` found: rows checked, the head hash, and the first broken row."""

    rows: int
    head_hash: str
    broken_position: int | None = None
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_position is None


def verify_chain(session: Session, *, batch: int = 2000) -> ChainReport:
    """Recompute the chain in position order; stop at the first row that does not fit."""
    head_position, head_hash = session.execute(
        select(AuditChain.position, AuditChain.head_hash).where(AuditChain.id == 1)
    ).one()
    prev, expected, rows, last = GENESIS, 1, 0, 0
    while True:
        chunk = list(
            session.scalars(
                select(AdminAudit)
                .where(AdminAudit.position > last)
                .order_by(AdminAudit.position)
                .limit(batch)
            )
        )
        if not chunk:
            break
        for row in chunk:
            problem = ""
            if row.position != expected:
                return ChainReport(rows, head_hash, expected, None, "the row is missing")
            if row.prev_hash != prev:
                problem = "previous hash does not match the row before"
            elif row.row_hash != row_hash(
                prev,
                position=row.position,
                at=row.at,
                actor_id=row.actor_id,
                device_id=row.device_id,
                action=row.action,
                target_type=row.target_type,
                target_id=row.target_id,
                detail=row.detail,
            ):
                problem = "content does not match its hash"
            if problem:
                return ChainReport(rows, head_hash, row.position, row.id, problem)
            prev, expected, rows, last = row.row_hash, expected + 1, rows + 1, row.position
        session.expunge_all()
    if last != head_position or prev != head_hash:
        return ChainReport(
            rows, head_hash, last + 1, None, "rows at the end of the chain are missing"
        )
    return ChainReport(rows, head_hash)


__all__ = ["GENESIS", "ChainReport", "audit", "row_hash", "verify_chain"]
