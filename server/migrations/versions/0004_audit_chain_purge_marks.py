"""Audit trail: hash chain (``position``, ``prev_hash``, ``row_hash``, chain head table), the
workstation column, and triggers that make ``admin_audit`` append-only; ``purge_marks`` (the
change seq over time) for the scheduled purge of old tombstones.

Existing rows are chained in id order, so a database upgraded from an older release verifies.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import sqlalchemy as sa
from alembic import op

import server.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TRIGGER_MESSAGE = "admin_audit is append-only"


def upgrade() -> None:
    from server.audit import GENESIS, row_hash

    op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "purge_marks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", server.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_purge_marks_at", "purge_marks", ["at"], unique=False)
    with op.batch_alter_table("admin_audit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("position", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("device_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))

    bind = op.get_bind()
    audit = sa.table(
        "admin_audit",
        sa.column("id", sa.Integer()),
        sa.column("position", sa.BigInteger()),
        sa.column("at", sa.DateTime()),
        sa.column("actor_id", sa.String()),
        sa.column("action", sa.String()),
        sa.column("target_type", sa.String()),
        sa.column("target_id", sa.String()),
        sa.column("detail", sa.JSON()),
        sa.column("prev_hash", sa.String()),
        sa.column("row_hash", sa.String()),
    )
    prev, position = GENESIS, 0
    rows = bind.execute(
        sa.select(
            audit.c.id,
            audit.c.at,
            audit.c.actor_id,
            audit.c.action,
            audit.c.target_type,
            audit.c.target_id,
            audit.c.detail,
        ).order_by(audit.c.id)
    ).all()
    for row in rows:
        position += 1
        at: Any = row.at
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
        detail = row.detail if isinstance(row.detail, dict) else {}
        digest = row_hash(
            prev,
            position=position,
            at=at,
            actor_id=row.actor_id,
            device_id=None,
            action=row.action,
            target_type=row.target_type,
            target_id=row.target_id,
            detail=detail,
        )
        bind.execute(
            audit.update()
            .where(audit.c.id == row.id)
            .values(position=position, prev_hash=prev, row_hash=digest)
        )
        prev = digest
    op.execute(
        sa.text("INSERT INTO audit_chain (id, position, head_hash) VALUES (1, :p, :h)").bindparams(
            p=position, h=prev
        )
    )
    with op.batch_alter_table("admin_audit", schema=None) as batch_op:
        batch_op.alter_column("position", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("row_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint("uq_admin_audit_position", ["position"])

    if bind.dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION pulse_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{_TRIGGER_MESSAGE}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER admin_audit_append_only BEFORE UPDATE OR DELETE ON admin_audit "
            "FOR EACH ROW EXECUTE FUNCTION pulse_audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER admin_audit_no_truncate BEFORE TRUNCATE ON admin_audit "
            "FOR EACH STATEMENT EXECUTE FUNCTION pulse_audit_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER admin_audit_no_{event.lower()} BEFORE {event} ON admin_audit "
                f"BEGIN SELECT RAISE(ABORT, '{_TRIGGER_MESSAGE}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER admin_audit_no_truncate ON admin_audit")
        op.execute("DROP TRIGGER admin_audit_append_only ON admin_audit")
        op.execute("DROP FUNCTION pulse_audit_append_only()")
    else:
        op.execute("DROP TRIGGER admin_audit_no_update")
        op.execute("DROP TRIGGER admin_audit_no_delete")
    with op.batch_alter_table("admin_audit", schema=None) as batch_op:
        batch_op.drop_constraint("uq_admin_audit_position", type_="unique")
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("device_id")
        batch_op.drop_column("position")
    op.drop_table("audit_chain")
    op.drop_index("ix_purge_marks_at", table_name="purge_marks")
    op.drop_table("purge_marks")
