"""When each agent held each campaign (``campaign_grant_periods``), for intake's checks; the
team that runs each campaign (``campaigns.team_id``), for supervisors' scope.

Grants active now start an open period of unknown beginning; grants withdrawn before this
history existed get a period of unknown beginning that ends now, so items about their calls
still arriving from offline desks are not refused.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from server.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(
            "fk_campaigns_team_id_teams", "teams", ["team_id"], ["id"], ondelete="SET NULL"
        )
    periods = op.create_table(
        "campaign_grant_periods",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("granted_at", UTCDateTime(), nullable=True),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_campaign_grant_periods_user",
        "campaign_grant_periods",
        ["user_id", "campaign_id"],
        unique=False,
    )
    grants = sa.table(
        "agent_grants",
        sa.column("user_id", sa.String()),
        sa.column("feed", sa.String()),
        sa.column("object_id", sa.String()),
        sa.column("active", sa.Boolean()),
    )
    campaigns = sa.table("campaigns", sa.column("id", sa.String()))
    bind = op.get_bind()
    now = datetime.now(UTC)
    rows = bind.execute(
        sa.select(grants.c.user_id, grants.c.object_id, grants.c.active)
        .join(campaigns, campaigns.c.id == grants.c.object_id)
        .where(grants.c.feed == "campaigns")
    ).all()
    if rows:
        op.bulk_insert(
            periods,
            [
                {
                    "user_id": user_id,
                    "campaign_id": campaign_id,
                    "granted_at": None,
                    "withdrawn_at": None if active else now,
                }
                for user_id, campaign_id, active in rows
            ],
        )


def downgrade() -> None:
    op.drop_index("ix_campaign_grant_periods_user", table_name="campaign_grant_periods")
    op.drop_table("campaign_grant_periods")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_constraint("fk_campaigns_team_id_teams", type_="foreignkey")
        batch_op.drop_column("team_id")
