"""An index of the dial queue by lease holder: an agent's leases are read without scanning
every live lease.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_HELD = sa.text("leased_by IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_dial_queue_holder",
        "dial_queue",
        ["leased_by"],
        unique=False,
        postgresql_where=_HELD,
        sqlite_where=_HELD,
    )


def downgrade() -> None:
    op.drop_index("ix_dial_queue_holder", table_name="dial_queue")
