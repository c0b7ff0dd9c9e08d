"""Intake is authorised: each item names only its agent's patients, campaigns and codes, and
claims believable times; a refused item is a 422 for itself and the rest of the batch is kept."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from server import content
from server.models import Assignment, CampaignGrantPeriod
from tests.helpers.server_live import LiveServer
from tests.integration.server.conftest import PASSWORD, World
from tests.integration.server.test_intake import disposition


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def recent(patient_id: str | None, campaign_id: str | None, *, ago: timedelta) -> dict[str, Any]:
    """A disposition of a call that started ``ago`` before now."""
    item = disposition(patient_id, campaign_id)
    started = datetime.now(UTC) - ago
    item["created_at"] = _iso(started + timedelta(minutes=5))
    item["payload"]["agent_started_at"] = _iso(started)
    item["payload"]["agent_ended_at"] = _iso(started + timedelta(minutes=4))
    return item


def statuses(live: LiveServer, user: str, items: list[dict[str, Any]]) -> list[tuple[int, str]]:
    answer = live.as_user(user, PASSWORD).post("/api/v1/intake", json={"items": items})
    assert answer.status_code == 200, answer.text
    return [(r["status"], r["reason"] or "") for r in answer.json()["results"]]


def callback(patient_id: str, at: str = "2026-03-03T15:00:00Z") -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "kind": "callback",
        "created_at": "2026-03-02T14:05:00Z",
        "payload": {"call_id": "call-1", "patient_id": patient_id, "callback_at": at},
    }


def audit(patient_id: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "kind": "audit",
        "created_at": "2026-03-02T14:05:00Z",
        "payload": {"action": "view", "patient_id": patient_id},
    }


def test_items_name_only_the_agents_patients_and_campaigns(live: LiveServer, world: World) -> None:
    own, theirs = world.only_1[0], world.only_2[0]
    sys_code = disposition(own, None)  # no campaign: granted through campaign 1, a SYS_ code
    other_campaign = disposition(world.both[0], world.campaign_2)
    not_on_campaign = disposition(theirs, world.campaign_1)
    no_such_patient = disposition("no-such-patient", world.campaign_1)
    no_such_campaign = disposition(own, "no-such-campaign")
    unknown_code = disposition(own, world.campaign_1)
    unknown_code["payload"]["code"] = "MADE_UP"
    tree_code_without_campaign = disposition(own, None)
    tree_code_without_campaign["payload"]["code"] = "CALLBACK"
    no_campaign_foreign_patient = disposition(theirs, None)
    items = [
        disposition(own, world.campaign_1),
        sys_code,
        other_campaign,
        not_on_campaign,
        no_such_patient,
        no_such_campaign,
        unknown_code,
        tree_code_without_campaign,
        no_campaign_foreign_patient,
        callback(own),
        callback(theirs),
        audit(own),
        audit(theirs),
    ]
    results = statuses(live, "agenta", items)
    assert [s for s, _ in results] == [
        201,
        201,
        422,
        422,
        422,
        422,
        422,
        422,
        422,
        201,
        422,
        201,
        422,
    ]
    reasons = [r for _, r in results]
    assert "not a campaign of this agent" in reasons[2]
    assert "not a patient of this agent's campaign" in reasons[3]
    assert "names no patient" in reasons[4]
    assert "names no campaign" in reasons[5]
    assert "code" in reasons[6] and "code" in reasons[7]
    assert "patient_id" in reasons[8] and "patient_id" in reasons[10]
    # The refused items were not stored; the others were.
    stored = {d["id"] for d in live.as_user("agenta", PASSWORD).get("/api/v1/dispositions").json()}
    assert stored == {items[0]["id"], items[1]["id"]}


def test_a_call_made_while_granted_is_accepted_after_the_grant_ends(
    live: LiveServer, world: World
) -> None:
    earlier = recent(world.only_1[0], world.campaign_1, ago=timedelta(hours=2))
    with live.runtime.sessions() as s, s.begin():
        assignment = s.scalar(select(Assignment.id).where(Assignment.user_id == world.agent_a))
        assert assignment is not None
        content.unassign(s, assignment, actor_id=None)
        # As if the agent had the campaign from three hours ago until an hour ago.
        s.execute(
            update(CampaignGrantPeriod)
            .where(CampaignGrantPeriod.user_id == world.agent_a)
            .values(
                granted_at=datetime.now(UTC) - timedelta(hours=3),
                withdrawn_at=datetime.now(UTC) - timedelta(hours=1),
            )
        )
    later = recent(world.only_1[0], world.campaign_1, ago=timedelta(minutes=20))
    also_later = recent(world.only_1[1], None, ago=timedelta(minutes=20))
    also_later["payload"]["code"] = "SYS_BUSY"
    results = statuses(live, "agenta", [earlier, later, also_later])
    assert [s for s, _ in results] == [201, 422, 422]


def test_impossible_times_are_refused(live: LiveServer, world: World) -> None:
    own = world.only_1[0]
    ok = recent(own, world.campaign_1, ago=timedelta(minutes=10))
    future = recent(own, world.campaign_1, ago=timedelta(days=-2))
    reset_clock = recent(own, world.campaign_1, ago=timedelta(minutes=10))
    reset_clock["created_at"] = "1970-01-01T00:00:00Z"
    backwards = recent(own, world.campaign_1, ago=timedelta(minutes=10))
    backwards["payload"]["agent_ended_at"] = "2000-01-02T00:00:00Z"
    before_call = recent(own, world.campaign_1, ago=timedelta(minutes=10))
    before_call["created_at"] = _iso(datetime.now(UTC) - timedelta(hours=2))
    far_callback = callback(own, at=_iso(datetime.now(UTC) + timedelta(days=800)))
    results = statuses(
        live, "agenta", [ok, future, reset_clock, backwards, before_call, far_callback]
    )
    assert [s for s, _ in results] == [201, 422, 422, 422, 422, 422]
    assert "before the call started" in results[4][1]
    # The client's claim is kept beside the server's receipt time.
    stored = live.as_user("agenta", PASSWORD).get("/api/v1/dispositions").json()
    assert stored[0]["created_at"] == ok["created_at"] and stored[0]["received_at"]


def test_a_corrected_copy_cannot_name_another_agents_item(live: LiveServer, world: World) -> None:
    from_b = disposition(world.only_2[0], world.campaign_2)
    from_b["payload"]["code"] = "SYS_HANDLED"
    assert statuses(live, "agentb", [from_b])[0][0] == 201
    fixed = disposition(world.only_1[0], world.campaign_1)
    fixed["payload"]["replaces"] = from_b["id"]
    own_fix = disposition(world.only_1[0], world.campaign_1)
    own_fix["payload"]["replaces"] = str(uuid.uuid4())  # a refused one: never stored
    assert [s for s, _ in statuses(live, "agenta", [fixed, own_fix])] == [422, 201]
