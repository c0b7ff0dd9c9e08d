"""Outbound leases against the real server (SQLite and PostgreSQL): one patient to one agent,
expiry, the calling rules on the server, callbacks and opt-outs through intake."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from server import content, schemas
from server.models import Patient
from tests.helpers.server_live import LiveServer
from tests.integration.server.conftest import PASSWORD, World, patient

# A Wednesday, 10:00 in Chicago (the test patients' zone): inside the calling window.
NOON = datetime(2026, 3, 4, 16, 0, tzinfo=UTC)


def _at(live: LiveServer, when: datetime) -> None:
    live.runtime.clock = lambda: when


def _both_on_campaign_1(live: LiveServer, world: World, extra: int = 0) -> list[str]:
    """Agent B works campaign 1 too; ``extra`` more patients join its list. Returns its list."""
    with live.runtime.sessions() as s, s.begin():
        content.assign(
            s,
            schemas.AssignmentIn(campaign_id=world.campaign_1, user_id=world.agent_b),
            actor_id=None,
        )
        ids = [content.upsert_patient(s, patient(100 + n))[0].id for n in range(extra)]
        if ids:
            content.add_to_list(s, world.campaign_1, "default", ids, actor_id=None)
    return world.only_1 + world.both + ids


def _next(client: httpx.Client, campaign_id: str, batch: int = 1) -> dict[str, Any]:
    response = client.post(f"/api/v1/agent/campaigns/{campaign_id}/next", params={"batch": batch})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _dispose(
    client: httpx.Client,
    patient_id: str,
    campaign_id: str,
    code: str,
    at: datetime,
    *extra: dict[str, Any],
) -> None:
    stamp = at.isoformat().replace("+00:00", "Z")
    item = {
        "id": str(uuid.uuid4()),
        "kind": "disposition",
        "created_at": stamp,
        "payload": {
            "call_id": "call-x",
            "patient_id": patient_id,
            "campaign_id": campaign_id,
            "code": code,
            "agent_started_at": stamp,
            "agent_ended_at": stamp,
            "call": {
                "direction": "outbound",
                "remote": "+12025550199",
                "started_at": stamp,
                "ended_at": stamp,
                "duration_s": 0,
                "end_reason": "remote",
                "sip_code": 200,
            },
        },
    }
    results = client.post("/api/v1/intake", json={"items": [item, *extra]}).json()["results"]
    assert [r["status"] for r in results] == [201] * (1 + len(extra)), results


def _callback(patient_id: str, campaign_id: str, due: datetime, for_whom: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "kind": "callback",
        "created_at": NOON.isoformat().replace("+00:00", "Z"),
        "payload": {
            "call_id": "call-x",
            "patient_id": patient_id,
            "callback_at": due.isoformat().replace("+00:00", "Z"),
            "campaign_id": campaign_id,
            "for": for_whom,
        },
    }


def test_two_agents_working_one_list_never_get_the_same_patient(
    live: LiveServer, world: World
) -> None:
    listed = _both_on_campaign_1(live, world, extra=30)
    _at(live, NOON)
    got: dict[str, list[str]] = {"agenta": [], "agentb": []}

    def work(name: str) -> None:
        client = live.as_user(name, PASSWORD)
        while True:
            leases = _next(client, world.campaign_1, batch=2)["leases"]
            if not leases:
                return
            got[name].extend(x["patient_id"] for x in leases)

    threads = [threading.Thread(target=work, args=(n,)) for n in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    everyone = got["agenta"] + got["agentb"]
    assert len(everyone) == len(set(everyone)) == len(listed)
    assert set(everyone) == set(listed)
    assert got["agenta"] and got["agentb"]


def test_the_list_is_leased_in_order_and_a_lease_is_one_agents(
    live: LiveServer, world: World
) -> None:
    listed = _both_on_campaign_1(live, world)
    _at(live, NOON)
    a, b = live.as_user("agenta", PASSWORD), live.as_user("agentb", PASSWORD)
    first = _next(a, world.campaign_1)["leases"][0]
    assert (first["patient_id"], first["source"]) == (listed[0], "list")
    assert first["verdict"]["allowed"] and first["verdict"]["indicator"] == "green"
    assert _next(b, world.campaign_1)["leases"][0]["patient_id"] == listed[1]
    mine = a.get("/api/v1/agent/leases").json()["leases"]
    assert [x["lease_id"] for x in mine] == [first["lease_id"]]
    # Someone else's lease cannot be released.
    refused = b.post(f"/api/v1/agent/leases/{first['lease_id']}/release", json={"reason": "x"})
    assert refused.status_code == 404


def test_an_expired_lease_returns_the_patient_to_the_list(live: LiveServer, world: World) -> None:
    listed = _both_on_campaign_1(live, world)
    _at(live, NOON)
    a, b = live.as_user("agenta", PASSWORD), live.as_user("agentb", PASSWORD)
    held = _next(a, world.campaign_1, batch=len(listed))["leases"]
    assert {x["patient_id"] for x in held} == set(listed)
    assert _next(b, world.campaign_1)["leases"] == []
    # The desk died holding them: past the batch lease time they go back, in list order.
    _at(live, NOON + timedelta(seconds=live.runtime.settings.batch_lease_ttl_s + 1))
    again = _next(b, world.campaign_1)["leases"]
    assert [x["patient_id"] for x in again] == [listed[0]]
    assert a.get("/api/v1/agent/leases").json()["leases"] == []


def test_a_skip_is_recorded_and_the_patient_waits(live: LiveServer, world: World) -> None:
    listed = _both_on_campaign_1(live, world)
    _at(live, NOON)
    a = live.as_user("agenta", PASSWORD)
    lease = _next(a, world.campaign_1)["leases"][0]
    released = a.post(
        f"/api/v1/agent/leases/{lease['lease_id']}/release",
        json={"reason": "WRONG_LANGUAGE", "retry_in_s": 600},
    )
    assert released.status_code == 204
    assert _next(a, world.campaign_1)["leases"][0]["patient_id"] == listed[1]
    history = a.get(f"/api/v1/agent/patients/{listed[0]}/attempts").json()["attempts"]
    assert [(h["kind"], h["code"]) for h in history] == [("skip", "WRONG_LANGUAGE")]
    # Ten minutes on, the skipped patient is a due retry: before the rest of the list.
    _at(live, NOON + timedelta(minutes=11))
    back = _next(a, world.campaign_1)["leases"][0]
    assert (back["patient_id"], back["source"]) == (listed[0], "retry")


def test_outside_the_patients_hours_nobody_is_leased(live: LiveServer, world: World) -> None:
    _both_on_campaign_1(live, world)
    late = datetime(2026, 3, 5, 3, 34, tzinfo=UTC)  # 21:34 in Chicago
    _at(live, late)
    a = live.as_user("agenta", PASSWORD)
    body = _next(a, world.campaign_1)
    assert body["leases"] == []
    # Every patient now waits for 08:00 in Chicago (14:00 UTC in March, before DST).
    assert body["next_due_at"] == "2026-03-05T14:00:00Z"


def test_a_no_answer_is_retried_after_its_interval(live: LiveServer, world: World) -> None:
    listed = _both_on_campaign_1(live, world)
    _at(live, NOON)
    a = live.as_user("agenta", PASSWORD)
    lease = _next(a, world.campaign_1)["leases"][0]
    _dispose(a, lease["patient_id"], world.campaign_1, "NO_ANSWER", NOON)
    assert a.get("/api/v1/agent/leases").json()["leases"] == []
    assert _next(a, world.campaign_1)["leases"][0]["patient_id"] == listed[1]
    _at(live, NOON + timedelta(hours=4, minutes=1))
    back = _next(a, world.campaign_1)["leases"][0]
    assert (back["patient_id"], back["source"], back["attempts"]) == (listed[0], "retry", 1)
    history = a.get(f"/api/v1/agent/patients/{listed[0]}/attempts").json()["attempts"]
    assert [(h["kind"], h["code"]) for h in history] == [("call", "NO_ANSWER")]


def test_do_not_call_patients_are_never_leased(live: LiveServer, world: World) -> None:
    listed = _both_on_campaign_1(live, world)
    with live.runtime.sessions() as s, s.begin():
        for pid in listed[:-1]:
            row = s.get(Patient, pid)
            assert row is not None
            row.do_not_call = True
    _at(live, NOON)
    a = live.as_user("agenta", PASSWORD)
    leases = _next(a, world.campaign_1, batch=5)["leases"]
    assert [x["patient_id"] for x in leases] == [listed[-1]]


def test_a_callback_is_due_first_and_kept_for_its_agent(live: LiveServer, world: World) -> None:
    listed = _both_on_campaign_1(live, world)
    _at(live, NOON)
    a, b = live.as_user("agenta", PASSWORD), live.as_user("agentb", PASSWORD)
    lease = _next(a, world.campaign_1)["leases"][0]
    due = NOON + timedelta(hours=2)
    callback = _callback(lease["patient_id"], world.campaign_1, due, "me")
    _dispose(a, lease["patient_id"], world.campaign_1, "CALLBACK", NOON, callback)
    [listed_cb] = a.get("/api/v1/agent/callbacks").json()["callbacks"]
    assert (listed_cb["patient_id"], listed_cb["callback_for"]) == (listed[0], "me")
    assert b.get("/api/v1/agent/callbacks").json()["callbacks"] == []
    # Not before it is due; when due, before the list, and only to the agent it was kept for.
    assert _next(a, world.campaign_1)["leases"][0]["patient_id"] == listed[1]
    _at(live, due)
    assert _next(b, world.campaign_1)["leases"][0]["patient_id"] == listed[2]
    got = _next(a, world.campaign_1)["leases"][0]
    assert (got["patient_id"], got["source"], got["callback_for"]) == (listed[0], "callback", "me")


def test_an_opt_out_closes_the_patient_everywhere_even_a_callback_made_before(
    live: LiveServer, world: World
) -> None:
    listed = _both_on_campaign_1(live, world)
    shared = world.both[0]  # on campaign 1 and campaign 2
    _at(live, NOON)
    a, b = live.as_user("agenta", PASSWORD), live.as_user("agentb", PASSWORD)
    # A callback for anyone on campaign 2, due in an hour, promised before the opt-out.
    due = NOON + timedelta(hours=1)
    dispose_first = _next(b, world.campaign_2)["leases"][0]
    _dispose(
        b,
        dispose_first["patient_id"],
        world.campaign_2,
        "CALLBACK",
        NOON,
        _callback(shared, world.campaign_2, due, "anyone"),
    )
    # On campaign 1 the patient asks not to be called again.
    leases = _next(a, world.campaign_1, batch=len(listed))["leases"]
    assert shared in {x["patient_id"] for x in leases}
    _dispose(a, shared, world.campaign_1, "DNC_REQUEST", NOON)
    with live.runtime.sessions() as s:
        row = s.get(Patient, shared)
        assert row is not None and row.do_not_call
    _at(live, due + timedelta(minutes=1))
    on_2 = _next(b, world.campaign_2, batch=10)["leases"]
    assert shared not in {x["patient_id"] for x in on_2}
    assert b.get("/api/v1/agent/callbacks").json()["callbacks"] == []
    # The desk learns it through its patient feed.
    items = a.get("/api/v1/sync/patients").json()["items"]
    assert [p["do_not_call"] for p in items if p["id"] == shared] == [True]


def test_a_lease_is_refused_off_campaign_and_on_inbound(live: LiveServer, world: World) -> None:
    a = live.as_user("agenta", PASSWORD)
    off = a.post(f"/api/v1/agent/campaigns/{world.campaign_2}/next")
    assert off.status_code == 403
    too_many = a.post(f"/api/v1/agent/campaigns/{world.campaign_1}/next", params={"batch": 51})
    assert too_many.status_code == 422
    hidden = a.get(f"/api/v1/agent/patients/{world.only_2[0]}/attempts")
    assert hidden.status_code == 403
