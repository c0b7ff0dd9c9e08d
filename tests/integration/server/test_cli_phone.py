"""pulse-server assign-extension / remove-extension, and what seed-demo gives the demo agent:
its extension, the campaigns' directories and the not-ready reasons."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from server.seed import DEMO_PASSWORD, DEMO_SIP_PASSWORD
from server.sip_secrets import KEY_FILE
from tests.helpers.server_live import live_server
from tests.integration.server.conftest import make_settings

SIP_PASSWORD = "cli-Sip-Pass-5150"  # synthetic


def cli(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        capture_output=True,
        text=True,
        timeout=180,
        input=stdin,
        env={
            **os.environ,
            "PULSE_SERVER_ARGON2_MEMORY_KIB": "1024",
            "PULSE_SERVER_ARGON2_TIME_COST": "1",
            **(env or {}),
        },
        check=False,
    )


def test_assign_and_remove_an_extension(database_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    where = ("--database-url", database_url, "--data-dir", str(data))
    made = cli("create-user", "deskagent", "--display-name", "Desk", *where, stdin="agent-pw-1\n")
    assert made.returncode == 0, made.stderr

    assigned = cli(
        "assign-extension",
        "deskagent",
        "--username",
        "1042",
        "--domain",
        "pbx.example.test",
        "--registrar",
        "pbx.example.test:5080",
        "--transport",
        "tcp",
        "--password-env",
        "DESK_SIP_PASSWORD",
        *where,
        env={"DESK_SIP_PASSWORD": SIP_PASSWORD},
    )
    assert assigned.returncode == 0, assigned.stderr
    out = json.loads(assigned.stdout)
    assert (out["username"], out["registrar"], out["transport"], out["password_version"]) == (
        "1042",
        "pbx.example.test:5080",
        "tcp",
        1,
    )
    assert SIP_PASSWORD not in assigned.stdout + assigned.stderr
    assert (data / KEY_FILE).stat().st_mode & 0o777 == 0o600

    # From standard input, with the registrar defaulting to the domain: a second version.
    again = cli(
        "assign-extension",
        "deskagent",
        "--username",
        "1042",
        "--domain",
        "pbx.example.test",
        *where,
        stdin=SIP_PASSWORD + "\n",
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["registrar"] == "pbx.example.test"
    assert json.loads(again.stdout)["password_version"] == 2

    # The server, on the same database and data directory, hands the password out.
    settings = make_settings(database_url, data)
    with live_server(settings) as live:
        desk = live.as_user("deskagent", "agent-pw-1", device_id=str(uuid.uuid4()))
        phone = desk.get("/api/v1/agent/phone").json()
        assert (phone["username"], phone["transport"], phone["password"]) == (
            "1042",
            "udp",
            SIP_PASSWORD,
        )

    missing = cli(
        "assign-extension",
        "deskagent",
        "--username",
        "1042",
        "--domain",
        "pbx.example.test",
        "--password-env",
        "NOT_SET_ANYWHERE",
        *where,
    )
    assert missing.returncode == 2 and "NOT_SET_ANYWHERE" in missing.stderr
    bad = cli(
        "assign-extension",
        "deskagent",
        "--username",
        "10 42",
        "--domain",
        "pbx.example.test",
        *where,
        stdin="bad-input-pass\n",
    )
    assert bad.returncode == 2 and "bad-input-pass" not in bad.stderr
    nobody = cli(
        "assign-extension",
        "nobody",
        "--username",
        "1043",
        "--domain",
        "pbx.example.test",
        *where,
        stdin=SIP_PASSWORD + "\n",
    )
    assert nobody.returncode == 1 and "nobody" in nobody.stderr

    removed = cli("remove-extension", "deskagent", *where)
    assert removed.returncode == 0, removed.stderr
    twice = cli("remove-extension", "deskagent", *where)
    assert twice.returncode == 1 and "no phone extension" in twice.stderr


def test_the_demo_world_gives_the_demo_agent_a_phone(database_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    where = ("--database-url", database_url, "--data-dir", str(data))
    for _ in range(2):  # seeding again keeps the extension's version (nothing to resend)
        seeded = cli("seed-demo", *where, "--patients", "5")
        assert seeded.returncode == 0, seeded.stderr
        assert DEMO_SIP_PASSWORD not in seeded.stdout + seeded.stderr
    with live_server(make_settings(database_url, data)) as live:
        demo = live.as_user("demo", DEMO_PASSWORD, device_id=str(uuid.uuid4()))
        phone = demo.get("/api/v1/agent/phone").json()
        assert phone == {
            "username": "1001",
            "domain": "127.0.0.1",
            "registrar": "127.0.0.1",
            "transport": "udp",
            "password_version": 1,
            "password": DEMO_SIP_PASSWORD,
            "already_delivered": False,
        }
        reasons = demo.get("/api/v1/sync/not_ready_reasons").json()["items"]
        by_code = {r["code"]: r for r in reasons}
        assert set(by_code) == {
            "break",
            "lunch",
            "training",
            "meeting",
            "coaching",
            "after-call-admin",
        }
        assert not by_code["lunch"]["productive"] and by_code["coaching"]["productive"]
        campaigns = demo.get("/api/v1/sync/campaigns").json()["items"]
        assert len(campaigns) == 4  # one of each outbound kind
        for campaign in campaigns:
            kinds = {entry["kind"] for entry in campaign["directory"]}
            assert {"nurse_line", "interpreter", "supervisor"} <= kinds
