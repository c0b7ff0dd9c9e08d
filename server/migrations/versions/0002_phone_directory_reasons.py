"""Agents' phone extensions and their deliveries, campaign directories, not-ready reasons.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import server.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "not_ready_reasons",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("productive", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("not_ready_reasons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_not_ready_reasons_seq"), ["seq"], unique=False)

    op.create_table(
        "phone_extensions",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("sip_username", sa.String(length=64), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("registrar", sa.String(length=262), nullable=False),
        sa.Column("transport", sa.String(length=3), nullable=False),
        sa.Column("password_ciphertext", sa.String(length=1024), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("password_version", sa.Integer(), nullable=False),
        sa.Column("updated_at", server.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
        sa.UniqueConstraint("domain", "sip_username"),
    )
    op.create_table(
        "phone_deliveries",
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("password_version", sa.Integer(), nullable=False),
        sa.Column("delivered_at", server.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("device_id"),
    )
    with op.batch_alter_table("phone_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_phone_deliveries_user_id"), ["user_id"], unique=False)

    # Nullable: campaigns made before this revision have no directory (read as empty).
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "directory",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("directory")

    with op.batch_alter_table("phone_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phone_deliveries_user_id"))

    op.drop_table("phone_deliveries")
    op.drop_table("phone_extensions")
    with op.batch_alter_table("not_ready_reasons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_not_ready_reasons_seq"))

    op.drop_table("not_ready_reasons")
