"""No input produces a server error: NUL characters, over-long ids, deeply nested fields,
CSV fields over the parser's limit, malformed FHIR entries. A bad item or row is refused
alone; the rest of its batch or import is kept."""

from __future__ import annotations

from typing import Any

from tests.helpers.server_live import LiveServer
from tests.integration.server.conftest import PASSWORD, World
from tests.integration.server.test_intake import disposition


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"x": value}
    return value


def test_bad_intake_items_are_refused_alone(live: LiveServer, world: World) -> None:
    own = world.only_1[0]
    nul_notes = disposition(own, world.campaign_1, notes="before\x00after")
    long_patient = disposition("p" * 300, world.campaign_1)
    long_campaign = disposition(own, "c" * 300)
    nested = disposition(own, world.campaign_1)
    nested["payload"]["fields"] = {"callback_at": _nested(200)}
    nul_key = disposition(own, world.campaign_1)
    nul_key["payload"]["fields"] = {"bad\x00key": "x"}
    nul_id = {**disposition(own, world.campaign_1), "id": "id\x00"}
    good = disposition(own, world.campaign_1)
    items = [nul_notes, long_patient, long_campaign, nested, nul_key, nul_id, good]
    answer = live.as_user("agenta", PASSWORD).post("/api/v1/intake", json={"items": items})
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == [422] * 6 + [201]


def test_nul_and_long_ids_in_admin_requests_are_not_server_errors(
    live: LiveServer, world: World
) -> None:
    admin = live.as_user("admin1", PASSWORD)
    patient = {
        "mrn": "NUL00001",
        "given_name": "Given\x00",
        "family_name": "Family",
        "birth_date": "1980-02-02",
    }
    assert admin.post("/api/v1/admin/patients", json=patient).status_code == 422
    for path, params in [
        ("/api/v1/admin/devices", {"user_id": "a\x00b"}),
        ("/api/v1/admin/dispositions", {"agent_id": "a\x00b"}),
    ]:
        assert admin.get(path, params=params).status_code < 500
    long_id = "x" * 500
    assert admin.delete(f"/api/v1/admin/patients/{long_id}").status_code == 404
    assert admin.delete("/api/v1/admin/patients/a%00b").status_code < 500
    body = {"campaign_id": world.campaign_1, "user_id": long_id}
    assert admin.post("/api/v1/admin/assignments", json=body).status_code == 404
    team = {"name": "Nul\x00team", "member_ids": []}
    assert admin.post("/api/v1/admin/teams", json=team).status_code == 422


def test_a_csv_field_over_the_parsers_limit_fails_only_its_row(
    live: LiveServer, world: World
) -> None:
    admin = live.as_user("admin1", PASSWORD)
    csv = (
        "mrn,given_name,family_name,birth_date\n"
        "CSV00001,Anna,Testfamily,1970-01-01\n"
        f'CSV00002,"{"y" * 200_000}",Testfamily,1970-01-01\n'
        "CSV00003,Nul\x00name,Testfamily,1970-01-01\n"
        "CSV00004,Bea,Testfamily,1970-01-01\n"
    )
    answer = admin.post(
        "/api/v1/admin/patients/import/csv",
        content=csv.encode(),
        headers={"content-type": "text/csv"},
    )
    assert answer.status_code == 200, answer.text
    out = answer.json()
    assert out["created"] == 2
    assert len(out["errors"]) == 2
    assert out["errors"][0].startswith("line 3")


def test_malformed_fhir_entries_fail_alone_and_a_string_given_is_one_name(
    live: LiveServer, world: World
) -> None:
    admin = live.as_user("admin1", PASSWORD)

    def patient(mrn: str, given: Any) -> dict[str, Any]:
        return {
            "resourceType": "Patient",
            "identifier": [{"value": mrn}],
            "name": [{"family": "Testfamily", "given": given}],
            "birthDate": "1971-01-01",
        }

    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {"resource": patient("FHIR0001", "Marisol")},
            7,
            "text",
            None,
            {"resource": {"resourceType": "Patient", "identifier": "not-a-list", "name": 5}},
            {"resource": {**patient("FHIR0002", ["Ana", "Maria"]), "telecom": [{"system": 3}]}},
            {"resource": {**patient("FHIR0003", ["Ines"]), "address": "nowhere"}},
            {"resource": patient("FHIR0004", ["Nul\x00"])},
        ],
    }
    answer = admin.post("/api/v1/admin/patients/import/fhir", json=bundle)
    assert answer.status_code == 200, answer.text
    out = answer.json()
    assert out["created"] == 2, out
    assert len(out["errors"]) == 6
    with live.runtime.sessions() as s:
        from sqlalchemy import select

        from server.models import Patient

        given = s.scalar(select(Patient.given_name).where(Patient.mrn == "FHIR0001"))
    assert given == "Marisol"
    not_a_list = {"resourceType": "Bundle", "entry": 3}
    assert admin.post("/api/v1/admin/patients/import/fhir", json=not_a_list).status_code == 422
