"""Account controls (disable, enable, password reset, unlock), lockout and rate limits that
hold under parallel attempts and across server processes, and refresh-token reuse, grace and
absolute session lifetime, over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, update

from server.models import AuthSession, SignInFailures, utcnow
from tests.helpers.server_live import LiveServer, live_server
from tests.integration.server.conftest import PASSWORD, World, build_world, make_settings


def _login(live: LiveServer, username: str, password: str, **extra: Any) -> httpx.Response:
    return live.login_response(username, password, **extra)


def _refresh(live: LiveServer, token: str) -> httpx.Response:
    return live.refresh_response(token)


def test_revoking_the_tokens_of_an_unknown_user_is_404(live: LiveServer, world: World) -> None:
    admin = live.as_user("admin1", PASSWORD)
    r = admin.post(f"/api/v1/admin/users/{uuid.uuid4()}/revoke_tokens")
    assert r.status_code == 404
    for action in ("disable", "enable", "unlock"):
        assert admin.post(f"/api/v1/admin/users/{uuid.uuid4()}/{action}").status_code == 404


def test_a_disabled_user_is_signed_out_at_once_and_can_be_enabled(
    live: LiveServer, world: World
) -> None:
    tokens = live.login("agenta", PASSWORD)
    agent = live.client(tokens["access_token"])
    admin = live.as_user("admin1", PASSWORD)

    assert admin.post(f"/api/v1/admin/users/{world.agent_a}/disable").status_code == 200

    assert agent.get("/api/v1/me").status_code == 401
    assert _refresh(live, tokens["refresh_token"]).status_code == 401
    refused = _login(live, "agenta", PASSWORD)
    # The same answer as a wrong password: a disabled account is not told apart.
    assert (refused.status_code, refused.json()) == (401, {"detail": "bad username or password"})

    assert admin.post(f"/api/v1/admin/users/{world.agent_a}/enable").status_code == 200
    assert live.login("agenta", PASSWORD)["agent"]["id"] == world.agent_a
    actions = [row["action"] for row in admin.get("/api/v1/admin/audit").json()]
    assert "user.disable" in actions and "user.enable" in actions


def test_a_reset_password_must_be_changed_at_the_next_sign_in(
    live: LiveServer, world: World
) -> None:
    tokens = live.login("agenta", PASSWORD)
    admin = live.as_user("admin1", PASSWORD)
    r = admin.post(
        f"/api/v1/admin/users/{world.agent_a}/reset_password",
        json={"password": "temporary-pass-1"},
    )
    assert r.status_code == 200
    # The old sessions end with the reset.
    assert live.client(tokens["access_token"]).get("/api/v1/me").status_code == 401
    assert _login(live, "agenta", PASSWORD).status_code == 401

    first = _login(live, "agenta", "temporary-pass-1")
    assert first.status_code == 403
    assert first.json()["password_change_required"] is True

    c = live.client()
    same = c.post(
        "/api/v1/auth/change_password",
        json={
            **live.workstation().login_body("agenta", "temporary-pass-1"),
            "new_password": "temporary-pass-1",
        },
    )
    assert same.status_code == 422
    changed = c.post(
        "/api/v1/auth/change_password",
        json={
            **live.workstation().login_body("agenta", "temporary-pass-1"),
            "new_password": "a-new-password-2",
        },
    )
    assert changed.status_code == 200, changed.text
    assert live.client(changed.json()["access_token"]).get("/api/v1/me").status_code == 200
    assert live.login("agenta", "a-new-password-2")["agent"]["id"] == world.agent_a
    assert _login(live, "agenta", "temporary-pass-1").status_code == 401


def test_unknown_user_and_wrong_password_get_the_same_answers_even_when_locked(
    live: LiveServer, world: World
) -> None:
    answers: dict[str, list[tuple[int, Any]]] = {}
    for name in ("agentb", "nobody-here"):
        answers[name] = []
        for _ in range(4):
            r = _login(live, name, "wrong-password")
            answers[name].append((r.status_code, r.json()))
    assert answers["agentb"] == answers["nobody-here"]
    assert [status for status, _ in answers["agentb"]] == [401, 401, 401, 423]


def test_a_lock_is_short_grows_with_each_lock_and_an_admin_can_lift_it(
    live: LiveServer, world: World
) -> None:
    def lock_seconds() -> float:
        with live.runtime.sessions() as s:
            until = s.scalar(
                select(SignInFailures.locked_until).where(SignInFailures.username == "agentb")
            )
        assert until is not None
        return (until - utcnow()).total_seconds()

    def expire_lock() -> None:
        with live.runtime.sessions() as s, s.begin():
            s.execute(update(SignInFailures).values(locked_until=utcnow() - timedelta(seconds=1)))

    lengths = []
    for _ in range(3):
        for _ in range(3):
            assert _login(live, "agentb", "wrong-password").status_code == 401
        assert _login(live, "agentb", PASSWORD).status_code == 423
        lengths.append(lock_seconds())
        expire_lock()
    # 30 s, then 60 s, then 120 s (default settings): never the long lock of before.
    assert 20 < lengths[0] <= 30
    assert 50 < lengths[1] <= 60
    assert 110 < lengths[2] <= 120

    for _ in range(3):
        _login(live, "agentb", "wrong-password")
    assert _login(live, "agentb", PASSWORD).status_code == 423
    admin = live.as_user("admin1", PASSWORD)
    assert admin.post(f"/api/v1/admin/users/{world.agent_b}/unlock").status_code == 200
    assert live.login("agentb", PASSWORD)["agent"]["id"] == world.agent_b


def test_parallel_wrong_passwords_get_no_more_guesses_than_the_limit(
    live: LiveServer, world: World
) -> None:
    desk = live.workstation()

    def attempt(_: int) -> int:
        with httpx.Client(base_url=live.base_url, timeout=60) as c:
            r = c.post(
                "/api/v1/auth/login",
                json=desk.login_body("agentb", "wrong-pass"),
            )
            return r.status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        codes = list(pool.map(attempt, range(24)))
    # lockout_failures is 3: three guesses were checked, every other attempt was refused.
    assert codes.count(401) == 3, codes
    assert codes.count(423) == 21, codes
    assert _login(live, "agentb", PASSWORD).status_code == 423


def test_the_rate_limit_is_shared_by_every_server_process(
    database_url: str, tmp_path: Path
) -> None:
    # Two runtimes on one database stand for two worker processes: each has its own memory.
    settings = make_settings(database_url, tmp_path / "d", login_rate_per_minute=4)
    with live_server(settings) as one, live_server(settings) as two:
        codes = []
        for i in range(6):
            live = (one, two)[i % 2]
            codes.append(_login(live, f"someone{i}", "whatever1").status_code)
        assert codes == [401, 401, 401, 401, 429, 429]


def test_the_rate_limit_holds_under_parallel_attempts(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path / "d", login_rate_per_minute=5)
    with live_server(settings) as live:
        desk = live.workstation()

        def attempt(i: int) -> int:
            with httpx.Client(base_url=live.base_url, timeout=60) as c:
                return c.post(
                    "/api/v1/auth/login",
                    json=desk.login_body(f"u{i}", "whatever1"),
                ).status_code

        with ThreadPoolExecutor(max_workers=10) as pool:
            codes = list(pool.map(attempt, range(20)))
    assert codes.count(401) == 5 and codes.count(429) == 15, codes


def test_a_forwarded_address_counts_only_behind_a_trusted_proxy(
    database_url: str, tmp_path: Path
) -> None:
    def spoofed_attempts(live: LiveServer) -> list[int]:
        desk = live.workstation()
        return [
            live.client()
            .post(
                "/api/v1/auth/login",
                json=desk.login_body(f"x{i}", "whatever1"),
                headers={"X-Forwarded-For": f"198.51.100.{i}"},
            )
            .status_code
            for i in range(3)
        ]

    plain = make_settings(database_url, tmp_path / "a", login_rate_per_minute=2)
    with live_server(plain) as live:
        # Not configured: the header cannot make each attempt look like a new client.
        assert spoofed_attempts(live) == [401, 401, 429]
    behind = make_settings(
        database_url, tmp_path / "b", login_rate_per_minute=2, trusted_proxies=("127.0.0.1",)
    )
    with live_server(behind) as live:
        assert spoofed_attempts(live) == [401, 401, 401]


def test_a_rotated_refresh_token_works_once_in_the_grace_then_its_reuse_ends_the_session(
    live: LiveServer, world: World
) -> None:
    first = live.login("agenta", PASSWORD)
    second = _refresh(live, first["refresh_token"]).json()
    # The client died before keeping ``second``: the old token works once more.
    third = _refresh(live, first["refresh_token"])
    assert third.status_code == 200
    latest = third.json()
    assert live.client(latest["access_token"]).get("/api/v1/me").status_code == 200
    # A third use of the same token is a copy in other hands: the whole session ends.
    assert _refresh(live, first["refresh_token"]).status_code == 401
    assert live.client(latest["access_token"]).get("/api/v1/me").status_code == 401
    assert _refresh(live, latest["refresh_token"]).status_code == 401
    assert _refresh(live, second["refresh_token"]).status_code == 401


def test_reuse_after_the_grace_revokes_the_session(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path / "d", refresh_grace_s=0)
    with live_server(settings) as live:
        build_world(live)
        first = live.login("agenta", PASSWORD)
        second = _refresh(live, first["refresh_token"]).json()
        assert _refresh(live, first["refresh_token"]).status_code == 401
        # The rightful holder of the newest token is signed out too: nobody keeps the session.
        assert live.client(second["access_token"]).get("/api/v1/me").status_code == 401
        assert _refresh(live, second["refresh_token"]).status_code == 401


def test_a_session_ends_at_its_absolute_lifetime(live: LiveServer, world: World) -> None:
    tokens = live.login("agenta", PASSWORD)
    assert _refresh(live, tokens["refresh_token"]).status_code == 200
    tokens = live.login("agenta", PASSWORD)
    with live.runtime.sessions() as s, s.begin():
        s.execute(
            update(AuthSession)
            .where(AuthSession.revoked_at.is_(None))
            .values(created_at=utcnow() - timedelta(hours=16, seconds=1))
        )
    assert _refresh(live, tokens["refresh_token"]).status_code == 401


def test_sign_in_refresh_reuse_and_sign_out_are_audited(live: LiveServer, world: World) -> None:
    assert _login(live, "agenta", "wrong-password").status_code == 401
    tokens = live.login("agenta", PASSWORD)
    assert _refresh(live, tokens["refresh_token"]).status_code == 200
    assert _refresh(live, tokens["refresh_token"]).status_code == 200  # the grace
    assert _refresh(live, tokens["refresh_token"]).status_code == 401  # reuse
    other = live.login("agentb", PASSWORD)
    assert live.client(other["access_token"]).post("/api/v1/auth/logout").status_code == 204
    admin = live.as_user("admin1", PASSWORD)
    actions = [row["action"] for row in admin.get("/api/v1/admin/audit").json()]
    for action in (
        "auth.sign_in_failed",
        "auth.sign_in",
        "auth.refresh",
        "auth.refresh_reused",
        "auth.sign_out",
    ):
        assert action in actions, action
