"""Intake: idempotent by client id, per-item results, size limits, who may read what."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from tests.helpers.server_live import LiveServer
from tests.integration.server.conftest import PASSWORD, World


def disposition(patient_id: str | None, campaign_id: str | None, notes: str = "") -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "kind": "disposition",
        "created_at": "2026-03-02T14:05:00Z",
        "payload": {
            "call_id": "call-1",
            "patient_id": patient_id,
            "campaign_id": campaign_id,
            # A call without a campaign can carry only the desk's built-in codes.
            "code": "CALLBACK" if campaign_id else "SYS_HANDLED",
            "fields": {"callback_at": "2026-03-03T15:00:00Z"},
            "notes": notes,
            "agent_started_at": "2026-03-02T14:00:00Z",
            "agent_ended_at": "2026-03-02T14:04:30Z",
        },
    }


def other_items(patient_id: str) -> list[dict[str, Any]]:
    return [
        {
            "id": str(uuid.uuid4()),
            "kind": "call_record",
            "created_at": "2026-03-02T14:05:00Z",
            "payload": {
                "call_id": "call-1",
                "direction": "outbound",
                "remote": "+12025550108",
                "started_at": "2026-03-02T14:00:00Z",
                "answered_at": None,
                "ended_at": "2026-03-02T14:04:00Z",
                "end_reason": "hangup",
                "sip_code": 200,
            },
        },
        {
            "id": str(uuid.uuid4()),
            "kind": "callback",
            "created_at": "2026-03-02T14:05:00Z",
            "payload": {
                "call_id": "call-1",
                "patient_id": patient_id,
                "callback_at": "2026-03-03T15:00:00Z",
                "notes": "",
            },
        },
        {
            "id": str(uuid.uuid4()),
            "kind": "audit",
            "created_at": "2026-03-02T14:05:00Z",
            "payload": {
                "action": "reveal",
                "patient_id": patient_id,
                "reason": "verified",
                "result": "ok",
            },
        },
    ]


def test_retried_batch_is_accepted_once(live: LiveServer, world: World) -> None:
    a = live.as_user("agenta", PASSWORD)
    batch = [disposition(world.only_1[0], world.campaign_1), *other_items(world.only_1[0])]
    first = a.post("/api/v1/intake", json={"items": batch})
    assert first.status_code == 200
    assert [r["status"] for r in first.json()["results"]] == [201, 201, 201, 201]
    again = a.post("/api/v1/intake", json={"items": batch})
    assert [(r["id"], r["status"]) for r in again.json()["results"]] == [
        (item["id"], 200) for item in batch
    ]
    mine = a.get("/api/v1/dispositions").json()
    assert [d["id"] for d in mine] == [batch[0]["id"]]
    assert mine[0]["payload"]["fields"] == {"callback_at": "2026-03-03T15:00:00Z"}


def test_same_id_different_content_is_409_per_item(live: LiveServer, world: World) -> None:
    a = live.as_user("agenta", PASSWORD)
    item = disposition(None, None, notes="first")
    assert a.post("/api/v1/intake", json={"items": [item]}).json()["results"][0]["status"] == 201
    changed = {**item, "payload": {**item["payload"], "notes": "second"}}
    fresh = disposition(None, None)
    results = a.post("/api/v1/intake", json={"items": [changed, fresh]}).json()["results"]
    assert [r["status"] for r in results] == [409, 201]
    assert results[0]["reason"]
    # The stored copy is the first one.
    assert a.get("/api/v1/dispositions").json()[-1]["payload"]["notes"] == "first"
    # Another agent reusing the id also conflicts, and learns nothing about the first item.
    b = live.as_user("agentb", PASSWORD)
    assert b.post("/api/v1/intake", json={"items": [item]}).json()["results"][0]["status"] == 409


def test_invalid_items_are_422_and_do_not_block_others(live: LiveServer, world: World) -> None:
    a = live.as_user("agenta", PASSWORD)
    good = disposition(None, None)
    bad_time = {**disposition(None, None), "created_at": "yesterday"}
    naive = {**disposition(None, None), "created_at": "2026-03-02T14:05:00"}
    bad_kind = {**disposition(None, None), "kind": "chat"}
    bad_payload = {**disposition(None, None)}
    bad_payload["payload"] = {**bad_payload["payload"], "code": ""}
    extra = {**disposition(None, None), "payload": {**good["payload"], "ssn": "x"}}
    no_id: dict[str, Any] = {"kind": "audit"}
    results = a.post(
        "/api/v1/intake",
        json={"items": [bad_time, good, naive, bad_kind, bad_payload, extra, no_id, "text"]},
    ).json()["results"]
    assert [r["status"] for r in results] == [422, 201, 422, 422, 422, 422, 422, 422]
    assert "created_at" in results[0]["reason"]
    assert "time zone" in results[2]["reason"]
    assert "kind" in results[3]["reason"]
    assert "payload.code" in results[4]["reason"]
    assert "payload.ssn" in results[5]["reason"]
    assert results[6]["id"] is None


def test_duplicate_ids_inside_one_batch(live: LiveServer, world: World) -> None:
    a = live.as_user("agenta", PASSWORD)
    item = disposition(None, None)
    changed = {**item, "payload": {**item["payload"], "notes": "other"}}
    results = a.post("/api/v1/intake", json={"items": [item, item, changed]}).json()["results"]
    assert [r["status"] for r in results] == [201, 200, 409]


def test_batch_and_body_limits_are_413(live: LiveServer, world: World) -> None:
    a = live.as_user("agenta", PASSWORD)
    small = [
        {
            "id": f"id-{n}",
            "kind": "audit",
            "created_at": "2026-03-02T14:05:00Z",
            "payload": {"action": "view"},
        }
        for n in range(501)
    ]
    r = a.post("/api/v1/intake", json={"items": small})
    assert r.status_code == 413 and "500" in r.json()["detail"]
    r = a.post("/api/v1/intake", json={"items": [disposition(None, None, notes="x" * 300_000)]})
    assert r.status_code == 413
    assert "exceeds" in r.json()["detail"]
    # A streamed body without Content-Length is counted too.
    chunks = (b'{"items": [' + b" " * 100_000 for _ in range(4))
    r = a.post("/api/v1/intake", content=chunks, headers={"content-type": "application/json"})
    assert r.status_code == 413
    # 500 items is fine.
    assert a.post("/api/v1/intake", json={"items": small[:500]}).status_code == 200


def test_agent_never_reads_another_agents_dispositions(live: LiveServer, world: World) -> None:
    a = live.as_user("agenta", PASSWORD)
    b = live.as_user("agentb", PASSWORD)
    item_a = disposition(world.both[0], world.campaign_1, notes="from a")
    item_b = disposition(world.both[0], world.campaign_2, notes="from b")
    item_b["payload"]["code"] = "SYS_HANDLED"  # campaign 2 has no code tree
    a.post("/api/v1/intake", json={"items": [item_a]})
    b.post("/api/v1/intake", json={"items": [item_b]})
    assert [d["id"] for d in a.get("/api/v1/dispositions").json()] == [item_a["id"]]
    assert [d["id"] for d in b.get("/api/v1/dispositions").json()] == [item_b["id"]]
    assert a.get("/api/v1/admin/dispositions").status_code == 403
    lead = live.as_user("lead1", PASSWORD)
    every = lead.get("/api/v1/admin/dispositions").json()
    assert {d["id"] for d in every} == {item_a["id"], item_b["id"]}
    only_b = lead.get("/api/v1/admin/dispositions", params={"agent_id": world.agent_b}).json()
    assert [d["agent_id"] for d in only_b] == [world.agent_b]


def agent_state(state: str, previous: str, reason: str | None = None) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "kind": "agent_state",
        "created_at": "2026-03-02T14:05:00Z",
        "payload": {
            "state": state,
            "reason": reason,
            "previous": previous,
            "previous_reason": "signed_in",
            "previous_s": 12.5,
            "at": "2026-03-02T14:05:00Z",
            "call_id": None,
        },
    }


def test_agent_state_changes_reach_supervisors(live: LiveServer, world: World) -> None:
    a = live.as_user("agenta", PASSWORD)
    ready = agent_state("ready", "not_ready")
    unknown_state = agent_state("dancing", "ready")
    negative = agent_state("not_ready", "ready", reason="break")
    negative["payload"]["previous_s"] = -1
    results = a.post("/api/v1/intake", json={"items": [ready, unknown_state, negative]})
    assert [r["status"] for r in results.json()["results"]] == [201, 422, 422]
    lead = live.as_user("lead1", PASSWORD)
    seen = lead.get("/api/v1/admin/dispositions", params={"kind": "agent_state"}).json()
    assert [(d["id"], d["payload"]["state"]) for d in seen] == [(ready["id"], "ready")]


def test_concurrent_retries_store_each_item_once(live: LiveServer, world: World) -> None:
    """The same batch sent at once on several connections (a retry racing the original): every
    item is stored by exactly one of them, the others see it as already stored."""
    batch = [disposition(world.only_1[0], world.campaign_1), *other_items(world.only_1[0])]
    token = live.login("agenta", PASSWORD)["access_token"]
    clients = [live.client(token) for _ in range(4)]
    start = threading.Barrier(len(clients))
    answers: list[list[dict[str, Any]]] = []

    def send(client: Any) -> None:
        start.wait(timeout=30)
        response = client.post("/api/v1/intake", json={"items": batch})
        assert response.status_code == 200
        answers.append(response.json()["results"])

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(answers) == len(clients)
    for position, item in enumerate(batch):
        statuses = sorted(results[position]["status"] for results in answers)
        assert all(results[position]["id"] == item["id"] for results in answers)
        assert statuses == [200] * (len(clients) - 1) + [201]
    mine = clients[0].get("/api/v1/dispositions").json()
    assert [d["id"] for d in mine] == [batch[0]["id"]]
