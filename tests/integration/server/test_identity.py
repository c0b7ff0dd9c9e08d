"""Sign-in, token rotation, logout, lockout, rate limit and revoked workstations, over HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from server.settings import ServerSettings
from tests.helpers.server_live import LiveServer, live_server
from tests.integration.server.conftest import PASSWORD, World, make_settings


def test_login_returns_tokens_and_agent(live: LiveServer, world: World) -> None:
    body = live.login("agenta", PASSWORD)
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert body["agent"] == {
        "id": world.agent_a,
        "username": "agenta",
        "display_name": "Agenta",
        "role": "agent",
    }
    me = live.client(body["access_token"]).get("/api/v1/me")
    assert me.status_code == 200 and me.json()["id"] == world.agent_a


def test_bad_password_and_unknown_user_are_401(live: LiveServer, world: World) -> None:
    for user in ("agenta", "nobody"):
        r = live.login_response(user, "wrong-password")
        assert r.status_code == 401
        assert r.json() == {"detail": "bad username or password"}


def test_lockout_after_repeated_failures(live: LiveServer, world: World) -> None:
    device = live.workstation().device_id
    for _ in range(3):
        r = live.login_response("agentb", "nope-nope", device)
        assert r.status_code == 401
    r = live.login_response("agentb", PASSWORD, device)
    assert r.status_code == 423
    assert "locked" in r.json()["detail"]
    # Another account is unaffected.
    assert live.login("agenta", PASSWORD)["agent"]["id"] == world.agent_a


def test_refresh_rotates_and_old_refresh_token_dies(live: LiveServer, world: World) -> None:
    first = live.login("agenta", PASSWORD)
    r = live.refresh_response(first["refresh_token"])
    assert r.status_code == 200
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert live.client(first["access_token"]).get("/api/v1/me").status_code == 401
    assert live.client(second["access_token"]).get("/api/v1/me").status_code == 200
    # The old refresh token works once more within the grace, and never again.
    assert live.refresh_response(first["refresh_token"]).is_success
    again = live.refresh_response(first["refresh_token"])
    assert again.status_code == 401


def test_logout_revokes_the_session(live: LiveServer, world: World) -> None:
    tokens = live.login("agenta", PASSWORD)
    c = live.client(tokens["access_token"])
    assert c.post("/api/v1/auth/logout").status_code == 204
    assert c.get("/api/v1/me").status_code == 401
    r = live.refresh_response(tokens["refresh_token"])
    assert r.status_code == 401


def test_revoked_device_gets_423_with_wipe_everywhere(live: LiveServer, world: World) -> None:
    device = str(uuid.uuid4())
    tokens = live.login("agenta", PASSWORD, device)
    agent = live.client(tokens["access_token"])
    admin = live.as_user("admin1", PASSWORD)
    devices = admin.get("/api/v1/admin/devices", params={"user_id": world.agent_a}).json()
    [row] = [d for d in devices if d["client_device_id"] == device]
    assert admin.post(f"/api/v1/admin/devices/{row['id']}/revoke").status_code == 200

    for r in (
        agent.get("/api/v1/sync/patients"),
        agent.post("/api/v1/intake", json={"items": []}),
        live.refresh_response(tokens["refresh_token"]),
        live.login_response("agenta", PASSWORD, device),
    ):
        assert r.status_code == 423, r.text
        assert r.json()["wipe"] is True
    # The same agent on another workstation still works.
    assert live.login("agenta", PASSWORD)["agent"]["id"] == world.agent_a


def test_admin_can_revoke_all_tokens_of_a_user(live: LiveServer, world: World) -> None:
    agent = live.as_user("agenta", PASSWORD)
    admin = live.as_user("admin1", PASSWORD)
    assert admin.post(f"/api/v1/admin/users/{world.agent_a}/revoke_tokens").status_code == 200
    assert agent.get("/api/v1/me").status_code == 401


def test_missing_or_garbage_token_is_401(live: LiveServer) -> None:
    assert live.client().get("/api/v1/sync/patients").status_code == 401
    r = live.client("not-a-token").get("/api/v1/sync/patients")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


def test_time_and_health(live: LiveServer) -> None:
    c = live.client()
    assert c.get("/api/v1/health").json() == {"status": "ok"}
    stamp = c.get("/api/v1/time").json()["server_time"]
    assert stamp.endswith("Z")
    skew = abs(
        (datetime.fromisoformat(stamp.replace("Z", "+00:00")) - datetime.now(UTC)).total_seconds()
    )
    assert skew < 60


def test_login_rate_limit_says_when_to_retry(database_url: str, tmp_path: Path) -> None:
    settings: ServerSettings = make_settings(database_url, tmp_path / "d", login_rate_per_minute=3)
    with live_server(settings) as live:
        device = live.workstation().device_id
        codes = [
            live.login_response(f"someone{i}", "whatever1", device).status_code for i in range(4)
        ]
        assert codes == [401, 401, 401, 429]
        r = live.login_response("x", "whatever1", device)
        assert r.status_code == 429
        assert 1 <= int(r.headers["retry-after"]) <= 61


@pytest.mark.parametrize("field", ["username", "password", "device_id"])
def test_login_validation_is_422(live: LiveServer, field: str) -> None:
    body = {"username": "agenta", "password": PASSWORD, "device_id": "dev-00001"}
    del body[field]
    assert live.client().post("/api/v1/auth/login", json=body).status_code == 422


def test_cors_is_off_by_default_and_opt_in(database_url: str, tmp_path: Path) -> None:
    origin = {"Origin": "https://console.example.org"}
    with live_server(make_settings(database_url, tmp_path / "a")) as live:
        r = live.client().get("/api/v1/health", headers=origin)
        assert "access-control-allow-origin" not in r.headers
    allowed = make_settings(
        database_url, tmp_path / "b", cors_origins=("https://console.example.org",)
    )
    with live_server(allowed) as live:
        r = live.client().get("/api/v1/health", headers=origin)
        assert r.headers["access-control-allow-origin"] == "https://console.example.org"
        other = live.client().get("/api/v1/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_an_unknown_workstation_is_refused_by_default(live: LiveServer, world: World) -> None:
    assert live.runtime.settings.require_enrolment
    r = live.client().post(
        "/api/v1/auth/login",
        json={"username": "agenta", "password": PASSWORD, "device_id": str(uuid.uuid4())},
    )
    assert r.status_code == 403
    assert r.json()["enrolment_required"] is True
