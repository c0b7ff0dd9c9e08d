"""Intake of a desk disposition: the script run, the verification outcome and the call facts."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from server.schemas import DispositionPayload
from tests.helpers.server_live import LiveServer
from tests.integration.server.conftest import PASSWORD, World
from tests.integration.server.test_intake import disposition


def full_disposition(patient_id: str | None, campaign_id: str | None) -> dict[str, Any]:
    item = disposition(patient_id, campaign_id, notes="asked for an afternoon call")
    item["payload"].update(
        {
            "script": {
                "script_id": "script-reminder",
                "version": 2,
                "language": "es",
                "answers": [
                    {"step": "greet", "answer": "yes"},
                    {"step": "confirm", "answer": "no"},
                ],
                "disclosures": {"recording": True},
            },
            "verification": {"state": "revealed", "failed_attempts": 1, "revealed_reason": "x"},
            "call": {
                "direction": "outbound",
                "remote": "+12025550108",
                "started_at": "2026-03-02T14:00:00Z",
                "answered_at": "2026-03-02T14:00:09Z",
                "ended_at": "2026-03-02T14:04:00Z",
                "duration_s": 231.0,
                "end_reason": "remote",
                "sip_code": 200,
                "transfer_target": None,
            },
        }
    )
    return item


def test_a_full_desk_disposition_is_stored_as_sent(live: LiveServer, world: World) -> None:
    a = live.as_user("agenta", PASSWORD)
    item = full_disposition(world.only_1[0], world.campaign_1)
    [result] = a.post("/api/v1/intake", json={"items": [item]}).json()["results"]
    assert (result["id"], result["status"]) == (item["id"], 201)
    [again] = a.post("/api/v1/intake", json={"items": [item]}).json()["results"]
    assert again["status"] == 200
    [stored] = [d for d in a.get("/api/v1/dispositions").json() if d["id"] == item["id"]]
    assert stored["payload"]["script"] == item["payload"]["script"]
    assert stored["payload"]["verification"] == item["payload"]["verification"]
    assert stored["payload"]["call"]["duration_s"] == 231.0
    assert stored["payload"]["call"]["answered_at"] == "2026-03-02T14:00:09Z"


def _broken(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    item = copy.deepcopy(full_disposition(None, None))
    where = item["payload"]
    for key in path[:-1]:
        where = where[key]
    where[path[-1]] = value
    return item


BROKEN = [
    (("script", "version"), 0),
    (("script", "language"), "Spanish"),
    (("script", "answers"), [{"step": "greet"}]),
    (("script", "answers"), [{"step": "bad step!", "answer": "yes"}]),
    (("script", "answers"), [{"step": "s", "answer": "y"}] * 501),
    (("script", "extra"), 1),
    (("script", "disclosures"), {f"step-{n}": True for n in range(201)}),
    (("verification", "state"), "probably"),
    (("verification", "failed_attempts"), -1),
    (("verification", "ssn"), "x"),
    (("call", "direction"), "sideways"),
    (("call", "duration_s"), -3),
    (("call", "sip_code"), 1000),
    (("call", "remote"), "+1\n202"),
    (("call", "ended_at"), "later"),
    (("call", "recording"), "x"),
]


@pytest.mark.parametrize(("path", "value"), BROKEN, ids=lambda v: str(v)[:30])
def test_a_malformed_part_is_422_naming_it(
    live: LiveServer, world: World, path: tuple[str, ...], value: Any
) -> None:
    a = live.as_user("agenta", PASSWORD)
    [result] = a.post("/api/v1/intake", json={"items": [_broken(path, value)]}).json()["results"]
    assert result["status"] == 422
    assert f"payload.{path[0]}" in result["reason"]


def test_a_disposition_without_the_new_parts_keeps_its_stored_form() -> None:
    payload = disposition(None, None)["payload"]
    dumped = DispositionPayload.model_validate(payload).model_dump(mode="json")
    assert set(dumped) == set(payload)
    full = full_disposition(None, None)["payload"]
    assert set(DispositionPayload.model_validate(full).model_dump(mode="json")) == set(full)
