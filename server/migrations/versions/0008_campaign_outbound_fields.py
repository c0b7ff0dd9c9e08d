"""Campaign fields the desk reads for outbound work: the approved voicemail message, the
progressive preview time, the recording-consent flag, and the centre's healthcare-exemption
caps as the campaign's document carries them.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Server defaults: existing campaigns get the desk's usual preview and no consent step
    # without a data pass; their caps are filled in when a server next starts.
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exempt_calls_per_day", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("exempt_calls_per_week", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("voicemail_message", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("preview_s", sa.Integer(), server_default=sa.text("5"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("recording_consent", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("recording_consent")
        batch_op.drop_column("preview_s")
        batch_op.drop_column("voicemail_message")
        batch_op.drop_column("exempt_calls_per_week")
        batch_op.drop_column("exempt_calls_per_day")
