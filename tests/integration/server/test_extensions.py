"""Phone extensions: assigned by an admin, the password encrypted at rest and handed to each
workstation once per password version."""

from __future__ import annotations

import logging
import threading
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text

from server.models import PhoneExtension
from server.sip_secrets import KEY_FILE
from tests.helpers.server_live import LiveServer
from tests.integration.server.conftest import PASSWORD, World

SIP_PASSWORD = "sip-Secret-4471"  # synthetic
EXTENSION = {
    "username": "1001",
    "domain": "pbx.example.test",
    "registrar": "pbx.example.test:5061",
    "transport": "tls",
    "password": SIP_PASSWORD,
}


def assign(admin: httpx.Client, user_id: str, **changes: object) -> httpx.Response:
    return admin.put(f"/api/v1/admin/users/{user_id}/extension", json={**EXTENSION, **changes})


def test_only_admins_manage_extensions(live: LiveServer, world: World) -> None:
    for name in ("agenta", "lead1"):
        other = live.as_user(name, PASSWORD)
        assert assign(other, world.agent_a).status_code == 403
        assert other.get(f"/api/v1/admin/users/{world.agent_a}/extension").status_code == 403
        assert other.delete(f"/api/v1/admin/users/{world.agent_a}/extension").status_code == 403


def test_assignment_is_listed_without_its_password_and_audited(
    live: LiveServer, world: World
) -> None:
    admin = live.as_user("admin1", PASSWORD)
    r = assign(admin, world.agent_a)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body == {
        "user_id": world.agent_a,
        "username": "1001",
        "domain": "pbx.example.test",
        "registrar": "pbx.example.test:5061",
        "transport": "tls",
        "password_version": 1,
        "updated_at": body["updated_at"],
        "delivered_device_ids": [],
    }
    listed = admin.get(f"/api/v1/admin/users/{world.agent_a}/extension")
    assert listed.json() == body
    assert SIP_PASSWORD not in listed.text
    audit = admin.get("/api/v1/admin/audit").json()[0]
    assert (audit["action"], audit["target_id"], audit["actor_id"]) == (
        "extension.assign",
        world.agent_a,
        world.admin,
    )
    assert SIP_PASSWORD not in str(audit)
    assert admin.delete(f"/api/v1/admin/users/{world.agent_a}/extension").status_code == 204
    assert admin.get("/api/v1/admin/audit").json()[0]["action"] == "extension.remove"
    assert admin.get(f"/api/v1/admin/users/{world.agent_a}/extension").status_code == 404
    assert admin.delete(f"/api/v1/admin/users/{world.agent_a}/extension").status_code == 404
    assert assign(admin, "no-such-user").status_code == 404


def test_bad_extensions_are_refused(live: LiveServer, world: World) -> None:
    admin = live.as_user("admin1", PASSWORD)
    for change in (
        {"transport": "sctp"},
        {"registrar": "pbx.example.test:70000"},
        {"registrar": "pbx example"},
        {"domain": "-bad-.example"},
        {"username": "10 01"},
        {"password": ""},
        {"password": "line\nbreak"},
        {"password": "x" * 129},
    ):
        r = assign(admin, world.agent_a, **change)
        assert r.status_code == 422, change
    assert (
        admin.put(
            f"/api/v1/admin/users/{world.agent_a}/extension", json={**EXTENSION, "extra": 1}
        ).status_code
        == 422
    )
    # One SIP account belongs to one user at a time.
    assert assign(admin, world.agent_a).status_code == 200
    clash = assign(admin, world.agent_b)
    assert clash.status_code == 409 and "another user" in clash.json()["detail"]
    assert assign(admin, world.agent_b, username="1002").status_code == 200


def test_the_password_reaches_each_workstation_once_per_version(
    live: LiveServer, world: World
) -> None:
    admin = live.as_user("admin1", PASSWORD)
    assert assign(admin, world.agent_a).status_code == 200
    desk_1 = live.as_user("agenta", PASSWORD, device_id=str(uuid.uuid4()))

    first = desk_1.get("/api/v1/agent/phone")
    assert first.status_code == 200, first.text
    assert "no-store" in first.headers["cache-control"]
    assert first.json() == {
        "username": "1001",
        "domain": "pbx.example.test",
        "registrar": "pbx.example.test:5061",
        "transport": "tls",
        "password_version": 1,
        "password": SIP_PASSWORD,
        "already_delivered": False,
    }
    again = desk_1.get("/api/v1/agent/phone").json()
    assert again["password"] is None and again["already_delivered"] is True
    assert again["username"] == "1001" and again["password_version"] == 1

    # A second workstation of the same agent gets it once too; a new sign-in on the first
    # (same device id) does not get it again.
    desk_2_id = str(uuid.uuid4())
    desk_2 = live.as_user("agenta", PASSWORD, device_id=desk_2_id)
    assert desk_2.get("/api/v1/agent/phone").json()["password"] == SIP_PASSWORD
    listed = admin.get(f"/api/v1/admin/users/{world.agent_a}/extension").json()
    assert len(listed["delivered_device_ids"]) == 2
    desk_2_again = live.as_user("agenta", PASSWORD, device_id=desk_2_id)
    assert desk_2_again.get("/api/v1/agent/phone").json()["already_delivered"] is True

    # A rotation (any new assignment) is a new version: every workstation receives it again.
    rotated = assign(admin, world.agent_a, password="sip-Rotated-9902").json()
    assert rotated["password_version"] == 2 and rotated["delivered_device_ids"] == []
    for desk in (desk_1, desk_2):
        answer = desk.get("/api/v1/agent/phone").json()
        assert (answer["password"], answer["password_version"]) == ("sip-Rotated-9902", 2)
        assert desk.get("/api/v1/agent/phone").json()["password"] is None

    # Removed, then assigned afresh: delivered again although the version starts over.
    assert admin.delete(f"/api/v1/admin/users/{world.agent_a}/extension").status_code == 204
    assert assign(admin, world.agent_a).json()["password_version"] == 1
    assert desk_1.get("/api/v1/agent/phone").json()["password"] == SIP_PASSWORD


def test_an_agent_without_an_extension_gets_a_clear_404(live: LiveServer, world: World) -> None:
    b = live.as_user("agentb", PASSWORD)
    r = b.get("/api/v1/agent/phone")
    assert r.status_code == 404
    assert r.json() == {"detail": r.json()["detail"]}
    assert "no phone extension is assigned to you" in r.json()["detail"]
    assert live.client().get("/api/v1/agent/phone").status_code == 401


def test_racing_requests_from_one_workstation_carry_the_password_once(
    live: LiveServer, world: World
) -> None:
    admin = live.as_user("admin1", PASSWORD)
    assert assign(admin, world.agent_a).status_code == 200
    token = live.login("agenta", PASSWORD, device_id=str(uuid.uuid4()))["access_token"]
    answers: list[dict[str, object]] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def ask() -> None:
        with httpx.Client(base_url=live.base_url, timeout=60) as c:
            start.wait()
            r = c.get("/api/v1/agent/phone", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200, r.text
            with lock:
                answers.append(r.json())

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(answers) == 6
    assert [a["password"] for a in answers].count(SIP_PASSWORD) == 1
    assert sum(1 for a in answers if a["already_delivered"]) == 5


def test_the_password_is_not_stored_in_plaintext(live: LiveServer, world: World) -> None:
    admin = live.as_user("admin1", PASSWORD)
    assert assign(admin, world.agent_a).status_code == 200
    with live.runtime.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM phone_extensions")).all()
    dumped = repr(rows)
    assert rows and SIP_PASSWORD not in dumped
    assert SIP_PASSWORD.encode().hex() not in dumped
    key_file = Path(live.runtime.settings.resolved_data_dir()) / KEY_FILE
    assert key_file.stat().st_mode & 0o777 == 0o600
    if live.runtime.settings.resolved_database_url().startswith("sqlite"):
        database = Path(live.runtime.settings.resolved_database_url().removeprefix("sqlite:///"))
        for part in database.parent.glob(database.name + "*"):
            assert SIP_PASSWORD.encode() not in part.read_bytes()


@pytest.mark.allow_log_errors
def test_a_changed_server_key_is_reported_not_guessed(
    live: LiveServer, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    admin = live.as_user("admin1", PASSWORD)
    assert assign(admin, world.agent_a).status_code == 200
    # As if the key file had been replaced: the row names another key.
    with live.runtime.sessions() as s, s.begin():
        row = s.scalar(select(PhoneExtension).where(PhoneExtension.user_id == world.agent_a))
        assert row is not None
        row.key_id = "0" * 16
    desk = live.as_user("agenta", PASSWORD, device_id=str(uuid.uuid4()))
    caplog.set_level(logging.ERROR, logger="pulse.server")
    r = desk.get("/api/v1/agent/phone")
    assert r.status_code == 500 and "SIP secret key" in r.json()["detail"]
    assert any("0000000000000000" in rec.getMessage() for rec in caplog.records)
    # The failed answer did not count as a delivery.
    with live.runtime.sessions() as s, s.begin():
        row = s.scalar(select(PhoneExtension).where(PhoneExtension.user_id == world.agent_a))
        assert row is not None
        row.key_id = live.runtime.sip_box.current_key_id()
    assert desk.get("/api/v1/agent/phone").json()["password"] == SIP_PASSWORD
