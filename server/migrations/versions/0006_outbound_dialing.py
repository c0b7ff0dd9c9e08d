"""Outbound dialing: the dial queue (leases, callbacks, retries), the attempt history, and the
campaigns' healthcare-exemption flag.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("healthcare_exempt", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "dial_queue",
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("patient_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("due_at", server.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("callback_id", sa.String(length=64), nullable=True),
        sa.Column("callback_for", sa.String(length=36), nullable=True),
        sa.Column("lease_id", sa.String(length=36), nullable=True),
        sa.Column("leased_by", sa.String(length=36), nullable=True),
        sa.Column("lease_expires_at", server.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_reason", sa.String(length=32), nullable=True),
        sa.Column("updated_at", server.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("campaign_id", "patient_id"),
    )
    op.create_index(
        "ix_dial_queue_next",
        "dial_queue",
        ["campaign_id", "state", "rank", "due_at", "position"],
        unique=False,
    )
    op.create_index(
        "ix_dial_queue_expiry", "dial_queue", ["state", "lease_expires_at"], unique=False
    )
    op.create_index("ix_dial_queue_patient", "dial_queue", ["patient_id"], unique=False)
    op.create_index("ix_dial_queue_lease", "dial_queue", ["lease_id"], unique=True)
    op.create_table(
        "call_attempts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("patient_id", sa.String(length=36), nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=True),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("at", server.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("exempt", sa.Boolean(), nullable=False),
        sa.Column("intake_id", sa.String(length=64), nullable=True),
        sa.Column("lease_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_call_attempts_patient_at", "call_attempts", ["patient_id", "at"], unique=False
    )
    op.create_index("ix_call_attempts_intake", "call_attempts", ["intake_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_call_attempts_intake", table_name="call_attempts")
    op.drop_index("ix_call_attempts_patient_at", table_name="call_attempts")
    op.drop_table("call_attempts")
    op.drop_index("ix_dial_queue_lease", table_name="dial_queue")
    op.drop_index("ix_dial_queue_patient", table_name="dial_queue")
    op.drop_index("ix_dial_queue_expiry", table_name="dial_queue")
    op.drop_index("ix_dial_queue_next", table_name="dial_queue")
    op.drop_table("dial_queue")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("healthcare_exempt")
