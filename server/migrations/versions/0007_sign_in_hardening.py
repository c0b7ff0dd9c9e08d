"""Sign-in hardening: lockout and rate windows shared in the database, forced password change,
refresh-token reuse detection, enrolled workstations and their one-time codes.

The per-user failure columns move to ``sign_in_failures`` (keyed by the username as typed, so
unknown names are counted too); a lock in progress at upgrade time is dropped.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workstations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("client_device_id", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", server.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("enrolled_at", server.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_device_id"),
    )
    op.create_table(
        "enrolment_codes",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", server.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", server.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", server.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("workstation_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_table(
        "sign_in_failures",
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("lock_level", sa.Integer(), nullable=False),
        sa.Column("locked_until", server.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_table(
        "sign_in_windows",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("started", sa.Float(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "retired_refresh_tokens",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["auth_sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("digest"),
    )
    with op.batch_alter_table("retired_refresh_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_retired_refresh_tokens_session_id"), ["session_id"], unique=False
        )
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_refresh_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column(
                "previous_refresh_until", server.models.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.create_index(
            batch_op.f("ix_auth_sessions_previous_refresh_hash"),
            ["previous_refresh_hash"],
            unique=False,
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
            )
        )
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("locked_until", server.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.drop_column("must_change_password")
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_sessions_previous_refresh_hash"))
        batch_op.drop_column("previous_refresh_until")
        batch_op.drop_column("previous_refresh_hash")
    with op.batch_alter_table("retired_refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retired_refresh_tokens_session_id"))
    op.drop_table("retired_refresh_tokens")
    op.drop_table("sign_in_windows")
    op.drop_table("sign_in_failures")
    op.drop_table("enrolment_codes")
    op.drop_table("workstations")
