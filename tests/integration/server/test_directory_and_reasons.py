"""Campaign transfer directories and not-ready reasons: managed by staff, synced to agents."""

from __future__ import annotations

from typing import Any

from tests.helpers.server_live import LiveServer
from tests.integration.server.conftest import PASSWORD, World
from tests.integration.server.test_feeds import pull

NURSE = {
    "label": "Nurse line",
    "number": "2100",
    "kind": "nurse_line",
    "language": None,
    "warm_allowed": True,
}
INTERPRETER = {
    "label": "Spanish interpreter",
    "number": "+19495550150",
    "kind": "interpreter",
    "language": "es",
    "warm_allowed": True,
}
BILLING = {
    "label": "Billing office",
    "number": "sip:billing@pbx.example.test",
    "kind": "billing",
    "warm_allowed": False,
}
REASONS: list[dict[str, Any]] = [
    {"code": "break", "label": "Break", "productive": False},
    {"code": "lunch", "label": "Lunch", "productive": False},
    {"code": "training", "label": "Training", "productive": True},
]


def test_directory_set_by_staff_reaches_the_agent_with_its_campaign(
    live: LiveServer, world: World
) -> None:
    a = live.as_user("agenta", PASSWORD)
    campaigns, _, cursor, _ = pull(a, "campaigns")
    assert campaigns[world.campaign_1]["directory"] == []
    version = campaigns[world.campaign_1]["version"]

    lead = live.as_user("lead1", PASSWORD)
    r = lead.put(
        f"/api/v1/admin/campaigns/{world.campaign_1}/directory",
        json={"entries": [NURSE, INTERPRETER, BILLING]},
    )
    assert r.status_code == 200, r.text
    assert lead.get("/api/v1/admin/audit").status_code == 403  # the audit is the admin's
    changed, deleted, cursor, _ = pull(a, "campaigns", cursor)
    assert set(changed) == {world.campaign_1} and not deleted
    campaign = changed[world.campaign_1]
    assert campaign["version"] == version + 1
    assert campaign["directory"] == [NURSE, INTERPRETER, {**BILLING, "language": None}]

    # A campaign update that leaves the directory out keeps it; an empty list clears it.
    update = {"name": "One", "kind": "preview", "caller_id": "+12025550100"}
    assert lead.put(f"/api/v1/admin/campaigns/{world.campaign_1}", json=update).status_code == 200
    kept, _, cursor, _ = pull(a, "campaigns", cursor)
    assert kept[world.campaign_1]["directory"] == campaign["directory"]
    cleared = {**update, "directory": []}
    assert lead.put(f"/api/v1/admin/campaigns/{world.campaign_1}", json=cleared).status_code == 200
    assert pull(a, "campaigns", cursor)[0][world.campaign_1]["directory"] == []

    admin = live.as_user("admin1", PASSWORD)
    actions = [e["action"] for e in admin.get("/api/v1/admin/audit").json()]
    assert "campaign.directory" in actions


def test_a_new_campaign_may_carry_its_directory(live: LiveServer, world: World) -> None:
    lead = live.as_user("lead1", PASSWORD)
    r = lead.post(
        "/api/v1/admin/campaigns",
        json={
            "name": "Three",
            "kind": "inbound",
            "caller_id": "+12025550102",
            "directory": [NURSE],
        },
    )
    assert r.status_code == 201, r.text
    assert (
        lead.post(
            "/api/v1/admin/assignments",
            json={"campaign_id": r.json()["id"], "user_id": world.agent_b},
        ).status_code
        == 201
    )
    b = live.as_user("agentb", PASSWORD)
    assert pull(b, "campaigns")[0][r.json()["id"]]["directory"] == [NURSE]


def test_bad_directories_are_refused(live: LiveServer, world: World) -> None:
    lead = live.as_user("lead1", PASSWORD)
    path = f"/api/v1/admin/campaigns/{world.campaign_1}/directory"
    for bad in (
        {**NURSE, "kind": "pharmacy"},
        {**NURSE, "number": "call the nurse"},
        {**NURSE, "label": ""},
        {**NURSE, "language": "Spanish"},
        {key: value for key, value in NURSE.items() if key != "warm_allowed"},
        {**NURSE, "extension": "2100"},
    ):
        assert lead.put(path, json={"entries": [bad]}).status_code == 422, bad
    assert lead.put(path, json={"entries": [NURSE] * 201}).status_code == 422
    assert (
        lead.put("/api/v1/admin/campaigns/nope/directory", json={"entries": []}).status_code == 404
    )
    a = live.as_user("agenta", PASSWORD)
    assert a.put(path, json={"entries": []}).status_code == 403


def test_not_ready_reasons_sync_to_every_agent(live: LiveServer, world: World) -> None:
    a = live.as_user("agenta", PASSWORD)
    b = live.as_user("agentb", PASSWORD)
    empty, _, cursor_a, _ = pull(a, "not_ready_reasons")
    assert empty == {}

    lead = live.as_user("lead1", PASSWORD)
    r = lead.put("/api/v1/admin/not_ready_reasons", json={"reasons": REASONS})
    assert r.status_code == 200, r.text
    assert [(x["code"], x["position"], x["version"]) for x in r.json()] == [
        ("break", 0, 1),
        ("lunch", 1, 1),
        ("training", 2, 1),
    ]
    assert lead.get("/api/v1/admin/not_ready_reasons").json() == r.json()

    for agent in (a, b):
        items, _, _, pages = pull(agent, "not_ready_reasons", limit=2)
        assert len(pages) == 2 and all(p["snapshot"] for p in pages)
        assert items["training"] == {
            "id": "training",
            "code": "training",
            "label": "Training",
            "productive": True,
            "position": 2,
            "version": 1,
        }
    added, deleted, cursor_a, _ = pull(a, "not_ready_reasons", cursor_a)
    assert set(added) == {"break", "lunch", "training"} and not deleted

    # Relabel one, withdraw one, add one, keep one as it was.
    changed = [
        {"code": "coaching", "label": "Coaching", "productive": True},
        {"code": "break", "label": "Break", "productive": False},
        {"code": "lunch", "label": "Lunch break", "productive": False},
    ]
    assert lead.put("/api/v1/admin/not_ready_reasons", json={"reasons": changed}).status_code == 200
    items, deleted, cursor_a, _ = pull(a, "not_ready_reasons", cursor_a)
    assert deleted == {"training"}
    assert {k: (v["label"], v["position"]) for k, v in items.items()} == {
        "coaching": ("Coaching", 0),
        "break": ("Break", 1),
        "lunch": ("Lunch break", 2),
    }
    # Nothing changed since: an idle pull is empty.
    assert pull(a, "not_ready_reasons", cursor_a)[:2] == ({}, set())
    # Sent again unchanged, the list makes no change to sync.
    assert lead.put("/api/v1/admin/not_ready_reasons", json={"reasons": changed}).status_code == 200
    assert pull(a, "not_ready_reasons", cursor_a)[:2] == ({}, set())


def test_bad_reason_lists_are_refused(live: LiveServer, world: World) -> None:
    lead = live.as_user("lead1", PASSWORD)
    path = "/api/v1/admin/not_ready_reasons"
    for bad in (
        [REASONS[0], REASONS[0]],
        [{"code": "Lunch Break", "label": "x", "productive": False}],
        [{"code": "lunch", "label": "", "productive": False}],
        [{"code": "lunch", "label": "Lunch"}],
    ):
        assert lead.put(path, json={"reasons": bad}).status_code == 422, bad
    a = live.as_user("agenta", PASSWORD)
    assert a.put(path, json={"reasons": REASONS}).status_code == 403
    assert a.get(path).status_code == 403
