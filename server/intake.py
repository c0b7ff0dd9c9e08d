"""Batched intake of dispositions, call records, callback requests and audit events.

Each item is independent and idempotent by its client-generated id: stored now (201), already
stored with identical content (200, a retried batch), stored before with different content (409),
or invalid or not the agent's to send (422 with the reason, see :mod:`server.intake_scope`).
The content hash covers kind, created_at and the normalised payload, so a retry that
re-serialises the same values differently still matches.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import dml as postgresql_dml
from sqlalchemy.dialects.sqlite import dml as sqlite_dml
from sqlalchemy.sql.visitors import InternalTraversal

from server import intake_scope
from server.identity import Principal
from server.models import IntakeItem, utcnow
from server.schemas import PAYLOADS, IntakeResult

MAX_ITEMS = 500
_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


class _Invalid(ValueError):
    pass


def _parse_time(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise _Invalid(f"{name} must be an ISO 8601 UTC time string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _Invalid(f"{name} is not an ISO 8601 time") from exc
    if parsed.tzinfo is None:
        raise _Invalid(f"{name} must carry a time zone (use Z)")
    return parsed.astimezone(UTC)


def _validate(raw: Any) -> tuple[str, str, datetime, dict[str, Any]]:
    if not isinstance(raw, dict):
        raise _Invalid("item must be an object")
    extra = set(raw) - {"id", "kind", "created_at", "payload"}
    if extra:
        raise _Invalid(f"unknown item keys: {sorted(extra)}")
    item_id = raw.get("id")
    if not isinstance(item_id, str) or not 1 <= len(item_id) <= 64 or set(item_id) - _ID_CHARS:
        raise _Invalid("id must be 1-64 characters of letters, digits, '-' or '_'")
    kind = raw.get("kind")
    if kind not in PAYLOADS:
        raise _Invalid(f"kind must be one of {sorted(PAYLOADS)}")
    created = _parse_time(raw.get("created_at"), "created_at")
    payload = raw.get("payload")
    if not isinstance(payload, dict):
        raise _Invalid("payload must be an object")
    try:
        model = PAYLOADS[kind].model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        raise _Invalid(f"payload.{where}: {first['msg']}") from None
    return item_id, kind, created, model.model_dump(mode="json")


def _digest(kind: str, created: datetime, payload: dict[str, Any]) -> str:
    body = json.dumps([kind, created.isoformat(), payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


content_hash = _digest
"""The stored hash of an item's content (for items put in by the server itself)."""


# SQLAlchemy 2.0 leaves the dialects' INSERT ... ON CONFLICT constructs out of its statement
# cache, so such a statement is compiled anew on every execution (a third of an intake
# request's CPU). These subclasses say what identifies the clause (the insert's own key already
# covers it), which makes the statement cacheable like any other.
_ON_CONFLICT_KEY = [
    ("constraint_target", InternalTraversal.dp_string),
    ("inferred_target_elements", InternalTraversal.dp_clauseelement_list),
    ("inferred_target_whereclause", InternalTraversal.dp_clauseelement),
]


class _PostgresSkipStored(postgresql_dml.OnConflictDoNothing):
    _traverse_internals = _ON_CONFLICT_KEY


class _SqliteSkipStored(sqlite_dml.OnConflictDoNothing):
    _traverse_internals = _ON_CONFLICT_KEY[1:]  # SQLite's clause has no constraint name


class _PostgresInsert(postgresql_dml.Insert):
    inherit_cache = True


class _SqliteInsert(sqlite_dml.Insert):
    inherit_cache = True


def _insert_new(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT (id) DO NOTHING RETURNING id``: one statement stores every new
    item of a batch and names them; ids already present are left untouched."""
    statement: Any
    if dialect == "postgresql":
        statement = _PostgresInsert(IntakeItem)
        statement._post_values_clause = _PostgresSkipStored(
            index_elements=[IntakeItem.__table__.c.id]
        )
    elif dialect == "sqlite":
        statement = _SqliteInsert(IntakeItem)
        statement._post_values_clause = _SqliteSkipStored(
            index_elements=[IntakeItem.__table__.c.id]
        )
    else:
        raise NotImplementedError(f"intake has no upsert for the {dialect} database")
    return statement.returning(IntakeItem.id)


_INSERTS: dict[str, Any] = {}


def accept(conn: Connection, who: Principal, items: list[Any]) -> list[IntakeResult]:
    """Validate and store a batch. Duplicate ids inside one batch count once.

    ``conn`` must be in autocommit mode: the new items are stored by one atomic statement, which
    commits by itself, so a batch costs one round trip in the usual case (all ids new) and a
    second only for ids already stored (a retried batch, or a conflict)."""
    results: list[IntakeResult | None] = [None] * len(items)
    parsed: dict[str, tuple[int, str, datetime, dict[str, Any], str]] = {}
    for index, raw in enumerate(items):
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        shown_id = raw_id if isinstance(raw_id, str) else None
        try:
            item_id, kind, created, payload = _validate(raw)
        except _Invalid as exc:
            results[index] = IntakeResult(id=shown_id, status=422, reason=str(exc))
            continue
        digest = _digest(kind, created, payload)
        if item_id in parsed:
            same = parsed[item_id][4] == digest
            results[index] = IntakeResult(
                id=item_id,
                status=200 if same else 409,
                reason=None if same else "same id sent twice with different content",
            )
            continue
        parsed[item_id] = (index, kind, created, payload, digest)
    refused = intake_scope.check(
        conn,
        who.user_id,
        {i: intake_scope.Item(p[1], p[2], p[3]) for i, p in parsed.items()},
        utcnow(),
    )
    for item_id, reason in refused.items():
        results[parsed.pop(item_id)[0]] = IntakeResult(id=item_id, status=422, reason=reason)
    pending = dict(parsed)
    # An id that conflicted but whose row is gone by the time it is read again (purged in
    # between) is simply tried again.
    for _attempt in range(3):
        if not pending:
            break
        stored = _store(conn, who, pending)
        for item_id in stored:
            index = pending.pop(item_id)[0]
            results[index] = IntakeResult(id=item_id, status=201, reason=None)
        if not pending:
            break
        rows = conn.execute(
            select(IntakeItem.id, IntakeItem.content_hash, IntakeItem.user_id).where(
                IntakeItem.id.in_(list(pending))
            )
        )
        for item_id, content_hash, user_id in rows:
            index, digest = pending[item_id][0], pending.pop(item_id)[4]
            same = content_hash == digest and user_id == who.user_id
            results[index] = IntakeResult(
                id=item_id,
                status=200 if same else 409,
                reason=None if same else "id already used with different content",
            )
    if pending:
        raise RuntimeError("intake items neither stored nor found after three attempts")
    return [r for r in results if r is not None]


def _store(
    conn: Connection,
    who: Principal,
    pending: dict[str, tuple[int, str, datetime, dict[str, Any], str]],
) -> set[str]:
    """Insert every pending item whose id is free; return the ids stored now."""
    dialect = conn.dialect.name
    statement = _INSERTS.get(dialect)
    if statement is None:
        statement = _INSERTS[dialect] = _insert_new(dialect)
    now = utcnow()
    rows = [
        {
            "id": item_id,
            "kind": kind,
            "user_id": who.user_id,
            "device_id": who.device_id,
            "patient_id": payload.get("patient_id"),
            "campaign_id": payload.get("campaign_id"),
            "created_at": created,
            "received_at": now,
            "content_hash": digest,
            "payload": payload,
        }
        for item_id, (_index, kind, created, payload, digest) in pending.items()
    ]
    return set(conn.execute(statement, rows).scalars())
