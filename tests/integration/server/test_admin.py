"""Admin and supervisor API: roles, content validation, patient import, the admin audit."""

from __future__ import annotations

import json
import logging

import pytest

from tests.helpers.server_live import LiveServer
from tests.integration.server.conftest import PASSWORD, World

CSV = (
    "mrn,given_name,family_name,birth_date,phones,language,time_zone,do_not_call,address_state\n"
    "CSV001,Quorra,Vellmont,1961-04-05,+12025550131:mobile;(202) 555-0132:home,es,"
    "America/Chicago,false,IL\n"
    "CSV002,Ansel,Drummore,1979-12-30,2025550133,en,America/New_York,true,NY\n"
    "CSV003,Broken,Row,not-a-date,,en,America/New_York,,\n"
    "CSV004,Bad,Zone,1980-01-01,,en,Mars/Olympus,,\n"
)

BUNDLE = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {
            "resource": {
                "resourceType": "Patient",
                "id": "ex1",
                "identifier": [{"type": {"coding": [{"code": "MR"}]}, "value": "FHIR001"}],
                "name": [{"use": "official", "family": "Oakhaven", "given": ["Tamsin"]}],
                "birthDate": "1958-07-14",
                "telecom": [
                    {"system": "phone", "value": "+1 202 555 0141", "use": "home"},
                    {"system": "email", "value": "nobody@example.invalid"},
                ],
                "communication": [{"language": {"coding": [{"code": "es-MX"}]}, "preferred": True}],
                "address": [{"city": "Fairview", "state": "CA"}],
            }
        },
        {"resource": {"resourceType": "Observation", "id": "skip-me"}},
        {"resource": {"resourceType": "Patient", "id": "ex2", "name": [{"family": "Nodate"}]}},
    ],
}


def test_agents_cannot_use_admin_routes(live: LiveServer, world: World) -> None:
    a = live.as_user("agenta", PASSWORD)
    for method, path, body in [
        (
            "post",
            "/api/v1/admin/users",
            {"username": "x", "display_name": "X", "password": "longenough"},
        ),
        (
            "post",
            "/api/v1/admin/campaigns",
            {"name": "C", "kind": "inbound", "caller_id": "+12025550100"},
        ),
        ("get", "/api/v1/admin/devices", None),
        ("get", "/api/v1/admin/audit", None),
        ("post", "/api/v1/admin/patients/import/fhir", BUNDLE),
    ]:
        r = a.request(method, path, json=body)
        assert r.status_code == 403, path
    lead = live.as_user("lead1", PASSWORD)
    assert lead.get("/api/v1/admin/devices").status_code == 403  # admins only
    assert (
        lead.post(
            "/api/v1/admin/users",
            json={"username": "x", "display_name": "X", "password": "longenough"},
        ).status_code
        == 403
    )


def test_admin_creates_users_and_actions_are_audited(live: LiveServer, world: World) -> None:
    admin = live.as_user("admin1", PASSWORD)
    r = admin.post(
        "/api/v1/admin/users",
        json={
            "username": "newagent",
            "display_name": "New Agent",
            "role": "agent",
            "password": "longenough1",
        },
    )
    assert r.status_code == 201
    assert (
        admin.post(
            "/api/v1/admin/users",
            json={"username": "newagent", "display_name": "Again", "password": "longenough1"},
        ).status_code
        == 409
    )
    assert live.login("newagent", "longenough1")["agent"]["role"] == "agent"
    audit = admin.get("/api/v1/admin/audit").json()
    # The newest rows: the new agent's sign-in, then the admin's creation of the account.
    assert [row["action"] for row in audit[:2]] == ["auth.sign_in", "user.create"]
    assert audit[1]["actor_id"] == world.admin
    assert audit[1]["target_id"] == r.json()["id"]


def test_content_validation_errors(live: LiveServer, world: World) -> None:
    lead = live.as_user("lead1", PASSWORD)
    bad_branch = {
        "name": "S",
        "variants": {
            "en": {
                "steps": [
                    {"id": "a", "text": "t", "branches": [{"answer": "yes", "next": "missing"}]}
                ]
            }
        },
    }
    assert lead.post("/api/v1/admin/scripts", json=bad_branch).status_code == 422
    dup_codes = {"name": "T", "codes": [{"code": "A", "label": "a"}, {"code": "A", "label": "b"}]}
    assert lead.post("/api/v1/admin/code_trees", json=dup_codes).status_code == 422
    bad_campaign = {"name": "C", "kind": "robocall", "caller_id": "+12025550100"}
    assert lead.post("/api/v1/admin/campaigns", json=bad_campaign).status_code == 422
    unknown_script = {
        "name": "C",
        "kind": "inbound",
        "caller_id": "+12025550100",
        "script_id": "nope",
    }
    r = lead.post("/api/v1/admin/campaigns", json=unknown_script)
    assert r.status_code == 404 and "script" in r.json()["detail"]
    r = lead.post(
        f"/api/v1/admin/campaigns/{world.campaign_1}/lists", json={"patient_ids": ["nope"]}
    )
    assert r.status_code == 404


def test_csv_import_reports_bad_rows_by_line(live: LiveServer, world: World) -> None:
    lead = live.as_user("lead1", PASSWORD)
    r = lead.post(
        "/api/v1/admin/patients/import/csv",
        content=CSV.encode(),
        params={"campaign_id": world.campaign_1, "list_name": "march"},
        headers={"content-type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["created"] == 2 and body["updated"] == 0
    assert [e.split(":")[0] for e in body["errors"]] == ["line 4", "line 5"]
    assert "Broken" not in json.dumps(body)  # errors name fields, never values
    a = live.as_user("agenta", PASSWORD)
    page = a.get("/api/v1/sync/patients", params={"limit": 1000}).json()
    imported = {p["mrn"]: p for p in page["items"] if p["mrn"].startswith("CSV")}
    assert imported["CSV001"]["phones"] == [
        {"number": "+12025550131", "kind": "mobile"},
        {"number": "+12025550132", "kind": "home"},
    ]
    assert imported["CSV002"]["do_not_call"] is True
    # Importing again updates instead of duplicating.
    again = lead.post(
        "/api/v1/admin/patients/import/csv",
        content=CSV.encode(),
        headers={"content-type": "text/csv"},
    ).json()
    assert again["created"] == 0 and again["updated"] == 2
    bad = lead.post(
        "/api/v1/admin/patients/import/csv",
        content=b"name,dob\nx,y\n",
        headers={"content-type": "text/csv"},
    )
    assert bad.status_code == 422 and "mrn" in bad.json()["detail"]


def test_fhir_bundle_import(live: LiveServer, world: World) -> None:
    lead = live.as_user("lead1", PASSWORD)
    r = lead.post(
        "/api/v1/admin/patients/import/fhir", json=BUNDLE, params={"campaign_id": world.campaign_2}
    )
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 1
    assert [e.split(":")[0] for e in r.json()["errors"]] == ["entry 2"]
    b = live.as_user("agentb", PASSWORD)
    items = b.get("/api/v1/sync/patients").json()["items"]
    [tamsin] = [p for p in items if p["mrn"] == "FHIR001"]
    assert tamsin["language"] == "es"
    assert tamsin["time_zone"] == "America/Los_Angeles"
    assert tamsin["phones"] == [{"number": "+12025550141", "kind": "home"}]
    not_fhir = lead.post("/api/v1/admin/patients/import/fhir", json={"resourceType": "Other"})
    assert not_fhir.status_code == 422


def test_server_logs_carry_no_phi(
    live: LiveServer, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    lead = live.as_user("lead1", PASSWORD)
    lead.post(
        "/api/v1/admin/patients/import/csv",
        content=CSV.encode(),
        params={"campaign_id": world.campaign_1},
        headers={"content-type": "text/csv"},
    )
    a = live.as_user("agenta", PASSWORD)
    a.get("/api/v1/sync/patients")
    lead.post(
        "/api/v1/admin/patients",
        json={
            "mrn": "CSV001",
            "given_name": "Quorra",
            "family_name": "Vellmont",
            "birth_date": "bad",
        },
    )
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "GET /api/v1/sync/patients 200" in text
    for secret in ("Quorra", "Vellmont", "CSV001", "1961-04-05", "5550131", PASSWORD):
        assert secret not in text
