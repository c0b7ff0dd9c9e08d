"""The demo behind ``make run``: an embedded server that the demo account can sign in to."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from agent_app.demo import start_demo_server
from server.seed import DEMO_PASSWORD

pytestmark = pytest.mark.integration


def test_demo_server_starts_seeded_and_accepts_the_demo_account(tmp_path: Path) -> None:
    demo = start_demo_server(tmp_path / "demo")
    try:
        # The desktop takes the one demo password from the server, never a copy of its own.
        assert (demo.agent, demo.password) == ("demo", DEMO_PASSWORD)
        credentials = tmp_path / "demo" / "demo-agent.json"
        assert credentials.stat().st_mode & 0o077 == 0
        login = httpx.post(
            f"{demo.url}/api/v1/auth/login",
            json={
                "username": demo.agent,
                "password": demo.password,
                "device_id": "4b3f0c52-5a8e-4c1e-9d7a-0f6b2f1d9e11",
            },
            timeout=30,
        )
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        feed = httpx.get(
            f"{demo.url}/api/v1/sync/patients",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert feed.status_code == 200
        assert feed.json()["items"], "the demo world has patients assigned to the demo agent"
    finally:
        demo.stop()
    assert demo.process.poll() is not None
