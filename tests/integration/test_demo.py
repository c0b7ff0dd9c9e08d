"""The demo behind ``make run``: an embedded server that the demo account can sign in to, which
hands over the demo caller's cases, and a demo caller that ends with the app."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from agent_app.demo import start_demo_server
from agent_app.foundation import paths
from agent_app.workflow.outbound import voicemail_message
from server.seed import DEMO_CASES, DEMO_PASSWORD

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
        # The demo caller's cases, as the server seeded them, in their order.
        assert [(c.key, c.number) for c in demo.cases] == [(c.key, c.number) for c in DEMO_CASES]
        owners = {
            case.number: sum(
                any(phone["number"] == case.number for phone in patient["phones"])
                for patient in feed.json()["items"]
            )
            for case in demo.cases
        }
        assert owners == {case.number: len(case.patients) for case in DEMO_CASES}
        campaigns = httpx.get(
            f"{demo.url}/api/v1/sync/campaigns",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).json()["items"]
        assert sorted(c["wrap_up_s"] for c in campaigns) == [30, 45, 75, 90]
        # The desk finds every demo campaign's voicemail message where it reads messages.
        messages = paths.data_dir() / "messages"
        assert all(voicemail_message(c, messages) for c in campaigns)
        assert all(c["exemption_caps"] == {"per_day": 1, "per_week": 3} for c in campaigns)
    finally:
        demo.stop()
    assert demo.process.poll() is not None


_CALLER_APP = """
import sys, time
from pathlib import Path
from agent_app.demo.ringer import DemoCase, DemoRinger
ringer = DemoRinger(
    registrar=sys.argv[2], extension="1001",
    cases=(DemoCase("known", "a known patient", "+19795550101"),), directory=Path(sys.argv[1]),
)
ringer.call_next()
print(ringer.process.pid, flush=True)
time.sleep(300)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_the_demo_caller_ends_with_the_app_even_when_the_app_is_killed(tmp_path: Path) -> None:
    # A registrar that never answers keeps the caller trying for its whole ring time.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.settimeout(30)
        registrar = f"127.0.0.1:{silent.getsockname()[1]}"
        app = subprocess.Popen(
            [sys.executable, "-c", _CALLER_APP, str(tmp_path), registrar],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert app.stdout is not None
            caller = int(app.stdout.readline())
            invite, _ = silent.recvfrom(65_535)
            assert invite.startswith(b"INVITE sip:1001@" + registrar.encode())
            assert _alive(caller)
        finally:
            app.kill()
            app.wait()
            if app.stdout is not None:
                app.stdout.close()
    deadline = time.monotonic() + 15
    while _alive(caller) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(caller), "the demo caller outlived the app"
    assert (tmp_path / "demo-caller-voice.wav").stat().st_size > 0
