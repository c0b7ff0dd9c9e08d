"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL, and
the newest runs down and up again over existing rows."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from server import content, schemas
from server.db import alembic_config, make_engine, session_factory
from server.models import Base


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def _columns(url: str, table: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {column["name"] for column in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def test_the_wrap_up_time_migration_runs_down_and_up(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session, session.begin():
            made = content.save_campaign(
                session,
                schemas.CampaignIn(
                    name="Before", kind="inbound", caller_id="+12025550179", wrap_up_s=15
                ),
                actor_id=None,
            )
            campaign_id = made.id
    finally:
        engine.dispose()
    config = alembic_config(database_url)

    command.downgrade(config, "0002")
    assert "wrap_up_s" not in _columns(database_url, "campaigns")
    command.upgrade(config, "head")

    assert "wrap_up_s" in _columns(database_url, "campaigns")
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            kept = conn.execute(
                text("SELECT name, wrap_up_s FROM campaigns WHERE id = :id"), {"id": campaign_id}
            ).one()
    finally:
        engine.dispose()
    # The campaign stays; its own time went with the column, the default took its place.
    assert tuple(kept) == ("Before", 60)
    test_migrated_schema_matches_the_models(database_url)


def test_the_intake_scope_migration_keeps_grants_as_periods(database_url: str) -> None:
    """Down to 0004 and up again: grants that exist then become periods of unknown start,
    open for an active grant, closed for a withdrawn one; the schema is the models' again."""
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session, session.begin():
            user = content.create_user(
                session,
                schemas.UserIn(username="periodagent", display_name="P", password="long enough pw"),
                actor_id=None,
            ).id
            kept, dropped = (
                content.save_campaign(
                    session,
                    schemas.CampaignIn(name=name, kind="inbound", caller_id="+12025550180"),
                    actor_id=None,
                ).id
                for name in ("Kept", "Dropped")
            )
            for campaign in (kept, dropped):
                content.assign(
                    session, schemas.AssignmentIn(campaign_id=campaign, user_id=user), actor_id=None
                )
            content.deactivate_campaign(session, dropped, actor_id=None)
    finally:
        engine.dispose()
    config = alembic_config(database_url)

    command.downgrade(config, "0004")
    probe = make_engine(database_url)
    try:
        assert "campaign_grant_periods" not in inspect(probe).get_table_names()
    finally:
        probe.dispose()
    command.upgrade(config, "head")

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT campaign_id, granted_at, withdrawn_at FROM campaign_grant_periods"
                    " WHERE user_id = :u"
                ),
                {"u": user},
            ).all()
    finally:
        engine.dispose()
    by_campaign = {campaign: (start, end) for campaign, start, end in rows}
    assert by_campaign[kept] == (None, None)
    assert by_campaign[dropped][0] is None and by_campaign[dropped][1] is not None
    test_migrated_schema_matches_the_models(database_url)


def test_the_campaign_outbound_fields_migration_runs_down_and_up(database_url: str) -> None:
    """Down to 0007 and up again: a campaign keeps its row; its message, preview, consent flag
    and caps went with the columns, and the defaults take their place."""
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session, session.begin():
            campaign_id = content.save_campaign(
                session,
                schemas.CampaignIn(
                    name="Dropping",
                    kind="progressive",
                    caller_id="+12025550181",
                    voicemail_message="drop.wav",
                    preview_s=20,
                    healthcare_exempt=True,
                ),
                actor_id=None,
            ).id
    finally:
        engine.dispose()
    config = alembic_config(database_url)
    added = {
        "voicemail_message",
        "preview_s",
        "recording_consent",
        "exempt_calls_per_day",
        "exempt_calls_per_week",
    }

    command.downgrade(config, "0007")
    assert not added & _columns(database_url, "campaigns")
    command.upgrade(config, "head")

    assert added <= _columns(database_url, "campaigns")
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            kept = conn.execute(
                text(
                    "SELECT name, voicemail_message, preview_s, recording_consent,"
                    " exempt_calls_per_day FROM campaigns WHERE id = :id"
                ),
                {"id": campaign_id},
            ).one()
    finally:
        engine.dispose()
    assert (kept[0], kept[1], kept[2], bool(kept[3]), kept[4]) == ("Dropping", None, 5, False, None)
    test_migrated_schema_matches_the_models(database_url)
