"""Delta feeds: minimum-necessary slices, snapshots, deltas, deletions, cursors."""

from __future__ import annotations

from typing import Any

import httpx

from server import content, schemas
from tests.helpers.server_live import LiveServer
from tests.integration.server.conftest import PASSWORD, World, patient


def pull(
    c: httpx.Client, feed: str, cursor: str | None = None, limit: int = 500
) -> tuple[dict[str, dict[str, Any]], set[str], str, list[dict[str, Any]]]:
    """Follow pages until has_more is false; return (items by id, deleted ids, cursor, pages)."""
    items: dict[str, dict[str, Any]] = {}
    deleted: set[str] = set()
    pages = []
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        r = c.get(f"/api/v1/sync/{feed}", params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        pages.append(page)
        for item in page["items"]:
            items[item["id"]] = item
            deleted.discard(item["id"])
        for gone in page["deleted"]:
            deleted.add(gone)
            items.pop(gone, None)
        cursor = page["cursor"]
        if not page["has_more"]:
            return items, deleted, cursor, pages


def test_snapshot_holds_exactly_the_agents_slice(live: LiveServer, world: World) -> None:
    a = live.as_user("agenta", PASSWORD)
    items, deleted, _cursor, pages = pull(a, "patients", limit=2)
    assert set(items) == set(world.only_1 + world.both)
    assert not deleted
    assert len(pages) == 3 and all(p["snapshot"] for p in pages)
    shared = items[world.both[0]]
    assert shared["campaign_ids"] == [world.campaign_1]  # never names campaigns it cannot see
    assert shared["phones"] == [{"number": "+12025550108", "kind": "mobile"}]
    assert set(shared) == {
        "id",
        "mrn",
        "given_name",
        "family_name",
        "birth_date",
        "phones",
        "language",
        "time_zone",
        "consent_calls",
        "do_not_call",
        "care_program",
        "campaign_ids",
        "address_city",
        "address_state",
        "version",
    }

    b = live.as_user("agentb", PASSWORD)
    items_b, _, _, _ = pull(b, "patients")
    assert set(items_b) == set(world.only_2 + world.both)


def test_small_feeds_follow_assignments(live: LiveServer, world: World) -> None:
    a = live.as_user("agenta", PASSWORD)
    campaigns, _, _, _ = pull(a, "campaigns")
    assert list(campaigns) == [world.campaign_1]
    one = campaigns[world.campaign_1]
    assert one["calling_window"] == {"start": "08:00", "end": "21:00"}
    assert one["wrap_up_s"] == 60  # the default when the campaign does not say
    assert one["script_id"] == world.script_1 and one["code_tree_id"] == world.tree_1
    scripts, _, _, _ = pull(a, "scripts")
    assert list(scripts) == [world.script_1]
    assert set(scripts[world.script_1]["variants"]) == {"en", "es"}
    trees, _, _, _ = pull(a, "code_trees")
    assert trees[world.tree_1]["codes"][0]["children"][0]["required_fields"][0]["name"] == (
        "callback_at"
    )
    b = live.as_user("agentb", PASSWORD)
    assert pull(b, "scripts")[0] == {}  # campaign 2 has no script
    assert list(pull(b, "campaigns")[0]) == [world.campaign_2]


def test_idle_delta_is_empty(live: LiveServer, world: World) -> None:
    a = live.as_user("agenta", PASSWORD)
    _, _, cursor, _ = pull(a, "patients")
    items, deleted, again, pages = pull(a, "patients", cursor)
    assert items == {} and deleted == set()
    assert pages[0]["snapshot"] is False
    assert pull(a, "patients", again)[0] == {}


def test_delta_carries_updates_additions_and_departures(live: LiveServer, world: World) -> None:
    a = live.as_user("agenta", PASSWORD)
    b = live.as_user("agentb", PASSWORD)
    _, _, cur_a, _ = pull(a, "patients")
    _, _, cur_b, _ = pull(b, "patients")
    with live.runtime.sessions() as s, s.begin():
        changed = patient(0).model_copy(update={"do_not_call": True})
        content.upsert_patient(s, changed)  # only_1[0]
        newcomer = content.upsert_patient(s, patient(50))[0].id
        content.add_to_list(s, world.campaign_1, "default", [newcomer], actor_id=None)
        content.remove_from_list(s, world.campaign_1, "default", [world.only_1[1]], actor_id=None)
        content.delete_patient(s, world.only_1[2], actor_id=None)
    items, deleted, cur_a, _ = pull(a, "patients", cur_a, limit=1)
    assert set(items) == {world.only_1[0], newcomer}
    assert items[world.only_1[0]]["do_not_call"] is True
    assert items[world.only_1[0]]["version"] == 2
    assert deleted == {world.only_1[1], world.only_1[2]}
    # Agent B's slice did not change.
    items_b, deleted_b, _, _ = pull(b, "patients", cur_b)
    assert items_b == {} and deleted_b == set()
    assert pull(a, "patients", cur_a)[:2] == ({}, set())


def test_unassignment_deletes_the_whole_slice(live: LiveServer, world: World) -> None:
    a = live.as_user("agenta", PASSWORD)
    cursors = {
        feed: pull(a, feed)[2] for feed in ("patients", "campaigns", "scripts", "code_trees")
    }
    lead = live.as_user("lead1", PASSWORD)
    with live.runtime.sessions() as s:
        from sqlalchemy import select

        from server.models import Assignment

        assignment_id = s.scalar(select(Assignment.id).where(Assignment.user_id == world.agent_a))
    assert lead.delete(f"/api/v1/admin/assignments/{assignment_id}").status_code == 204
    items, deleted, _, _ = pull(a, "patients", cursors["patients"], limit=2)
    assert items == {} and deleted == set(world.only_1 + world.both)
    assert pull(a, "campaigns", cursors["campaigns"])[1] == {world.campaign_1}
    assert pull(a, "scripts", cursors["scripts"])[1] == {world.script_1}
    assert pull(a, "code_trees", cursors["code_trees"])[1] == {world.tree_1}
    # A fresh snapshot is empty, and the agent cannot read patients by any other route.
    assert pull(a, "patients")[0] == {}

    # Assigning again brings everything back in the delta.
    r = lead.post(
        "/api/v1/admin/assignments",
        json={"campaign_id": world.campaign_1, "user_id": world.agent_a},
    )
    assert r.status_code == 201
    items, deleted, _, _ = pull(a, "patients", cursors["patients"])
    assert set(items) == set(world.only_1 + world.both) and not deleted


def test_team_assignment_and_new_script_version(live: LiveServer, world: World) -> None:
    b = live.as_user("agentb", PASSWORD)
    cur_scripts = pull(b, "scripts")[2]
    cur_campaigns = pull(b, "campaigns")[2]
    lead = live.as_user("lead1", PASSWORD)
    admin = live.as_user("admin1", PASSWORD)  # teams are made by admins
    team = admin.post("/api/v1/admin/teams", json={"name": "Night", "member_ids": [world.agent_b]})
    assert team.status_code == 201
    r = admin.post(
        "/api/v1/admin/assignments",
        json={"campaign_id": world.campaign_1, "team_id": team.json()["id"]},
    )
    assert r.status_code == 201
    scripts, _, cur_scripts, _ = pull(b, "scripts", cur_scripts)
    assert scripts[world.script_1]["version"] == 1
    assert set(pull(b, "campaigns", cur_campaigns)[0]) == {world.campaign_1}
    body = {
        "name": "Reminder v2",
        "variants": {
            "en": {"steps": [{"id": "only", "text": "Hi {{patient.given_name}}", "next": None}]}
        },
    }
    assert lead.put(f"/api/v1/admin/scripts/{world.script_1}", json=body).status_code == 200
    scripts, _, _, _ = pull(b, "scripts", cur_scripts)
    assert scripts[world.script_1]["version"] == 2
    assert scripts[world.script_1]["name"] == "Reminder v2"


def test_large_batch_pages_without_gaps_or_repeats(live: LiveServer, world: World) -> None:
    a = live.as_user("agenta", PASSWORD)
    _, _, cursor, _ = pull(a, "patients")
    with live.runtime.sessions() as s, s.begin():  # one transaction: every row shares one seq
        ids = [content.upsert_patient(s, patient(100 + n))[0].id for n in range(57)]
        content.add_to_list(s, world.campaign_1, "bulk", ids, actor_id=None)
    seen: list[str] = []
    while True:
        page = a.get("/api/v1/sync/patients", params={"cursor": cursor, "limit": 10}).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    assert sorted(seen) == sorted(ids)


def test_cursor_errors_are_410(live: LiveServer, world: World) -> None:
    a = live.as_user("agenta", PASSWORD)
    b = live.as_user("agentb", PASSWORD)
    cursor = pull(a, "patients")[2]
    assert a.get("/api/v1/sync/patients", params={"cursor": "garbage"}).status_code == 410
    # Another agent's cursor, or one from another feed, is unknown here.
    assert b.get("/api/v1/sync/patients", params={"cursor": cursor}).status_code == 410
    r = a.get("/api/v1/sync/campaigns", params={"cursor": cursor})
    assert r.status_code == 410 and r.json()["detail"]
    # History purged past the cursor.
    from sqlalchemy import update

    from server.models import ChangeCounter

    with live.runtime.sessions() as s, s.begin():
        s.execute(update(ChangeCounter).values(horizon=ChangeCounter.value + 1))
    r = a.get("/api/v1/sync/patients", params={"cursor": cursor})
    assert r.status_code == 410
    assert "older" in r.json()["detail"]


def test_limit_bounds(live: LiveServer, world: World) -> None:
    a = live.as_user("agenta", PASSWORD)
    assert a.get("/api/v1/sync/patients", params={"limit": 0}).status_code == 422
    assert a.get("/api/v1/sync/patients", params={"limit": 1001}).status_code == 422
    assert a.get("/api/v1/sync/patients", params={"limit": 1000}).status_code == 200


def test_campaign_deactivation_removes_it(live: LiveServer, world: World) -> None:
    a = live.as_user("agenta", PASSWORD)
    cur = pull(a, "patients")[2]
    lead = live.as_user("lead1", PASSWORD)
    assert lead.delete(f"/api/v1/admin/campaigns/{world.campaign_1}").status_code == 204
    items, deleted, _, _ = pull(a, "patients", cur)
    assert not items and deleted == set(world.only_1 + world.both)


def test_new_campaign_with_content_via_api(live: LiveServer, world: World) -> None:
    lead = live.as_user("lead1", PASSWORD)
    tree = lead.post(
        "/api/v1/admin/code_trees",
        json={"name": "T2", "codes": [{"code": "DONE", "label": "Done"}]},
    )
    assert tree.status_code == 201
    camp = lead.post(
        "/api/v1/admin/campaigns",
        json={
            "name": "Flu",
            "kind": "inbound",
            "caller_id": "+12025550177",
            "calling_window": {"start": "09:00", "end": "20:00"},
            "max_attempts": 2,
            "code_tree_id": tree.json()["id"],
            "wrap_up_s": 0,
        },
    )
    assert camp.status_code == 201, camp.text
    pid = lead.post("/api/v1/admin/patients", json=patient(77).model_dump(mode="json"))
    assert pid.status_code == 201
    assert (
        lead.post(
            f"/api/v1/admin/campaigns/{camp.json()['id']}/lists",
            json={"patient_ids": [pid.json()["id"]]},
        ).json()["created"]
        == 1
    )
    assert (
        lead.post(
            "/api/v1/admin/assignments",
            json={"campaign_id": camp.json()["id"], "user_id": world.agent_b},
        ).status_code
        == 201
    )
    b = live.as_user("agentb", PASSWORD)
    campaigns = pull(b, "campaigns")[0]
    assert campaigns[camp.json()["id"]]["calling_window"] == {"start": "09:00", "end": "20:00"}
    assert campaigns[camp.json()["id"]]["wrap_up_s"] == 0  # no countdown
    assert pid.json()["id"] in pull(b, "patients")[0]
    assert set(pull(b, "code_trees")[0]) == {tree.json()["id"]}


def test_a_campaign_wrap_up_time_is_bounded_and_updated_by_a_new_version(
    live: LiveServer, world: World
) -> None:
    lead = live.as_user("lead1", PASSWORD)
    body = {"name": "Wrap", "kind": "inbound", "caller_id": "+12025550178"}
    for wrong in (-1, 3601, "soon"):
        refused = lead.post("/api/v1/admin/campaigns", json={**body, "wrap_up_s": wrong})
        assert refused.status_code == 422, (wrong, refused.text)
    made = lead.post("/api/v1/admin/campaigns", json={**body, "wrap_up_s": 120})
    assert made.status_code == 201, made.text
    campaign_id = made.json()["id"]
    changed = lead.put(f"/api/v1/admin/campaigns/{campaign_id}", json={**body, "wrap_up_s": 30})
    assert changed.status_code == 200, changed.text
    assert (
        lead.post(
            "/api/v1/admin/assignments", json={"campaign_id": campaign_id, "user_id": world.agent_b}
        ).status_code
        == 201
    )
    shown = pull(live.as_user("agentb", PASSWORD), "campaigns")[0][campaign_id]
    assert (shown["wrap_up_s"], shown["version"]) == (30, 2)


def test_schemas_module_used_for_validation() -> None:
    bad = {"name": "x", "variants": {"en": {"steps": [{"id": "a", "text": "t", "next": "zz"}]}}}
    try:
        schemas.ScriptIn.model_validate(bad)
    except ValueError as exc:
        assert "unknown step 'zz'" in str(exc)
    else:
        raise AssertionError("a dangling step link was accepted")
