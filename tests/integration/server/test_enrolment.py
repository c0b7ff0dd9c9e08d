"""Workstation enrolment over HTTP: one-time codes from IT, an admin's approval of a pending
workstation, and sign-in and refresh that must be signed by the workstation's enrolled key."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from server import enrolment
from server.models import EnrolmentCode, utcnow
from testbed.workstation import SigningWorkstation
from tests.helpers.server_live import LiveServer, live_server
from tests.integration.server.conftest import PASSWORD, build_world, make_settings


def Workstation() -> SigningWorkstation:
    return SigningWorkstation(name="Desk 12")


@pytest.fixture
def enrolling(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    with live_server(make_settings(database_url, tmp_path / "d", require_enrolment=True)) as live:
        build_world(live)
        yield live


def _code(live: LiveServer, expires_in_s: int = 3600) -> str:
    admin = live.client(_admin_token(live))
    r = admin.post("/api/v1/admin/enrolment_codes", json={"expires_in_s": expires_in_s})
    assert r.status_code == 201, r.text
    return str(r.json()["code"])


def _admin_token(live: LiveServer) -> str:
    # The admin signs in from an enrolled workstation of their own.
    ws = getattr(live, "_admin_ws", None)
    if ws is None:
        ws = Workstation()
        with live.runtime.sessions() as s, s.begin():
            code, _ = enrolment.create_code(s, live.runtime.settings, 600)
        assert live.client().post("/api/v1/workstations/enrol", json=ws.enrol_body(code)).is_success
        live._admin_ws = ws  # type: ignore[attr-defined]
    r = live.client().post("/api/v1/auth/login", json=ws.login_body("admin1", PASSWORD))
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _login(live: LiveServer, body: dict[str, Any]) -> httpx.Response:
    return live.client().post("/api/v1/auth/login", json=body)


def test_an_unknown_workstation_is_refused_with_a_clear_message(enrolling: LiveServer) -> None:
    r = _login(enrolling, Workstation().login_body("agenta", PASSWORD))
    assert r.status_code == 403
    assert r.json() == {
        "detail": "This workstation is not enrolled: ask IT for an enrolment code",
        "enrolment_required": True,
    }


def test_a_code_enrols_once_and_the_key_must_sign_every_sign_in_and_refresh(
    enrolling: LiveServer,
) -> None:
    code = _code(enrolling)
    desk = Workstation()
    r = enrolling.client().post("/api/v1/workstations/enrol", json=desk.enrol_body(code))
    assert r.status_code == 200 and r.json()["status"] == "enrolled"
    # Single use: another workstation cannot reuse it.
    again = enrolling.client().post(
        "/api/v1/workstations/enrol", json=Workstation().enrol_body(code)
    )
    assert again.status_code == 403

    signed = _login(enrolling, desk.login_body("agenta", PASSWORD))
    assert signed.status_code == 200, signed.text
    # The id alone (a copied device-id file) signs nobody in.
    assert _login(enrolling, desk.login_body("agenta", PASSWORD, signed=False)).status_code == 403
    thief = Workstation()
    thief.device_id = desk.device_id
    assert _login(enrolling, thief.login_body("agenta", PASSWORD)).status_code == 403

    token = signed.json()["refresh_token"]
    c = enrolling.client()
    assert (
        c.post("/api/v1/auth/refresh", json=desk.refresh_body(token, signed=False)).status_code
        == 403
    )
    rotated = c.post("/api/v1/auth/refresh", json=desk.refresh_body(token))
    assert rotated.status_code == 200, rotated.text


def test_codes_are_stored_as_digests_and_expire(enrolling: LiveServer) -> None:
    code = _code(enrolling, expires_in_s=60)
    with enrolling.runtime.sessions() as s:
        digests = list(s.scalars(select(EnrolmentCode.digest)))
    assert enrolment.code_digest(code) in digests
    assert all(code not in d and code.replace("-", "") not in d for d in digests)
    with enrolling.runtime.sessions() as s, s.begin():
        s.execute(update(EnrolmentCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    late = enrolling.client().post(
        "/api/v1/workstations/enrol", json=Workstation().enrol_body(code)
    )
    assert late.status_code == 403


def test_a_workstation_without_a_code_waits_for_an_admin(enrolling: LiveServer) -> None:
    desk = Workstation()
    r = enrolling.client().post("/api/v1/workstations/enrol", json=desk.enrol_body(None))
    assert r.status_code == 200 and r.json()["status"] == "pending"
    assert _login(enrolling, desk.login_body("agenta", PASSWORD)).status_code == 403
    admin = enrolling.client(_admin_token(enrolling))
    listed = {w["id"]: w for w in admin.get("/api/v1/admin/workstations").json()}
    assert listed[r.json()["workstation_id"]]["status"] == "pending"
    approved = admin.post(f"/api/v1/admin/workstations/{r.json()['workstation_id']}/approve")
    assert approved.status_code == 200
    assert _login(enrolling, desk.login_body("agenta", PASSWORD)).status_code == 200


def test_an_enrolment_not_signed_by_its_key_is_refused(enrolling: LiveServer) -> None:
    desk = Workstation()
    body = desk.enrol_body(_code(enrolling))
    body["public_key"] = Workstation().public_key  # someone else's key
    assert enrolling.client().post("/api/v1/workstations/enrol", json=body).status_code == 401


@pytest.fixture
def optional(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A server with enrolment switched off, as a site has it while it enrols its desks."""
    with live_server(make_settings(database_url, tmp_path / "d", require_enrolment=False)) as live:
        build_world(live)
        yield live


def test_an_enrolled_workstation_proves_its_key_even_when_enrolment_is_optional(
    optional: LiveServer,
) -> None:
    live = optional
    desk = Workstation()
    with live.runtime.sessions() as s, s.begin():
        code, _ = enrolment.create_code(s, live.runtime.settings, 600)
    assert live.client().post("/api/v1/workstations/enrol", json=desk.enrol_body(code)).is_success
    assert _login(live, desk.login_body("agenta", PASSWORD, signed=False)).status_code == 403
    assert _login(live, desk.login_body("agenta", PASSWORD)).status_code == 200
    # Not enrolled, and enrolment not required: signs in as before.
    assert _login(live, Workstation().login_body("agenta", PASSWORD)).status_code == 200
