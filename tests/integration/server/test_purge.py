"""The scheduled purge: ended sign-in sessions and tombstones past the retention go, a cursor
that had not seen a purged tombstone is gone (410), and the schedule runs inside the server."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import func, select

from server.app import create_app
from server.models import AuthSession, ListEntry, utcnow
from server.purge import purge
from tests.helpers.server_live import LiveServer
from tests.integration.server.conftest import PASSWORD, World


def _count(live: LiveServer, model: type) -> int:
    with live.runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_sessions_that_ended_past_the_retention_are_deleted(live: LiveServer, world: World) -> None:
    live.login("agenta", PASSWORD)
    gone = live.login("agentb", PASSWORD)
    live.client(gone["access_token"]).post("/api/v1/auth/logout")
    settings = live.runtime.settings
    assert _count(live, AuthSession) == 2

    soon = utcnow() + timedelta(days=1)
    assert purge(live.runtime.sessions, settings, now=soon).sessions == 0

    # Revoked a week ago: gone; the other still runs until its refresh token expires.
    later = utcnow() + timedelta(days=settings.session_retention_days, minutes=1)
    assert purge(live.runtime.sessions, settings, now=later).sessions == 1
    assert _count(live, AuthSession) == 1

    expired = utcnow() + timedelta(
        days=settings.session_retention_days, seconds=settings.refresh_token_ttl_s + 60
    )
    assert purge(live.runtime.sessions, settings, now=expired).sessions == 1
    assert _count(live, AuthSession) == 0


def test_old_tombstones_go_and_cursors_that_missed_them_restart(
    live: LiveServer, world: World
) -> None:
    agent = live.as_user("agenta", PASSWORD)
    admin = live.as_user("admin1", PASSWORD)
    first = agent.get("/api/v1/sync/patients").json()
    removed = world.only_1[0]
    r = admin.post(
        f"/api/v1/admin/campaigns/{world.campaign_1}/lists/remove",
        json={"patient_ids": [removed]},
    )
    assert r.status_code == 200, r.text
    settings = live.runtime.settings
    tombstones = select(func.count()).select_from(ListEntry).where(ListEntry.active.is_(False))

    now = utcnow()
    # The first run only marks where the change counter stands; nothing is old enough yet.
    assert purge(live.runtime.sessions, settings, now=now).list_entries == 0
    # A cursor from before the removal still learns of it.
    delta = agent.get("/api/v1/sync/patients", params={"cursor": first["cursor"]}).json()
    assert delta["deleted"] == [removed]

    later = now + timedelta(days=settings.tombstone_retention_days, minutes=1)
    done = purge(live.runtime.sessions, settings, now=later)
    assert done.list_entries == 1
    with live.runtime.sessions() as session:
        assert session.scalar(tombstones) == 0
    # Sessions ended long before that date went too: sign in again.
    agent = live.as_user("agenta", PASSWORD)
    admin = live.as_user("admin1", PASSWORD)
    # That cursor could no longer learn of the removal: it must start over.
    stale = agent.get("/api/v1/sync/patients", params={"cursor": first["cursor"]})
    assert stale.status_code == 410
    # The one that saw it goes on.
    assert agent.get("/api/v1/sync/patients", params={"cursor": delta["cursor"]}).status_code == 200

    rows = admin.get("/api/v1/admin/audit").json()
    assert any(r["action"] == "purge" and r["detail"]["list_entries"] == 1 for r in rows)


def _tasks_while_running(app: FastAPI) -> tuple[asyncio.Task[None] | None, bool]:
    """Start and stop the app's lifespan; the purge task it held and whether it ran meanwhile."""

    async def run() -> tuple[asyncio.Task[None] | None, bool]:
        async with app.router.lifespan_context(app):
            task = app.state.purge_task
            running = task is not None and not task.done()
        return task, running

    return asyncio.run(run())


def test_the_server_schedules_the_purge(live: LiveServer) -> None:
    task, running = _tasks_while_running(create_app(runtime=live.runtime))
    assert running
    assert task is not None and task.done()


def test_the_schedule_can_be_turned_off(live: LiveServer) -> None:
    runtime = live.runtime
    runtime.settings = runtime.settings.model_copy(update={"purge_interval_minutes": 0})
    task, running = _tasks_while_running(create_app(runtime=runtime))
    assert (task, running) == (None, False)
