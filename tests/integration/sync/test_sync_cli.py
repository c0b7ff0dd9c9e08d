"""``pulse-agent sync --once`` / ``--status`` as IT runs them, against the real server,
with the network cut by a network namespace (``unshare -n``) and with the server stopped."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from agent_app.secrets.store import SecretStore
from agent_app.store.agent_store import AgentStore
from testbed.sync_server import AGENT, AGENT_PASSWORD, RealServer
from testbed.sync_setup import SyncRig, disposition

pytestmark = pytest.mark.integration


def _device() -> str:
    from agent_app.app import device_id

    return device_id()


@pytest.fixture(autouse=True)
def enrolled(server: RealServer, secret_backend: object) -> None:
    """This machine's workstation enrolled, its key in the keyring the command reads."""
    SyncRig(
        server.url, secret_backend, device_id=_device(), enrolment_code=server.enrolment_code()
    ).close()


def sync_cli(
    server: RealServer, *args: str, netns: bool = False
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "agent_app", "sync", *args]
    if netns:
        command = ["unshare", "--net", *command]
    return subprocess.run(
        command,
        env={**os.environ, "PULSE_SYNC_SERVER_URL": server.url, "PULSE_TEST_PW": AGENT_PASSWORD},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def queue(backend: object, count: int, prefix: str) -> None:
    secrets = SecretStore(backend)  # type: ignore[arg-type]
    with AgentStore.open(agent_id=AGENT, workstation_id=_device(), secrets=secrets) as store:
        for i in range(count):
            store.journal.enqueue(
                "disposition", disposition(f"{prefix}-{i}"), call_id=f"{prefix}-{i}"
            )


def can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True, check=False)
    return probe.returncode == 0


def test_once_and_status_from_a_shell(server: RealServer, secret_backend: object) -> None:
    first = sync_cli(
        server, "--once", "--login", AGENT, "--password-env", "PULSE_TEST_PW", "--json"
    )
    assert first.returncode == 0, first.stderr
    body = json.loads(first.stdout)
    assert body["connection"] == "online" and body["pages"] >= 4

    queue(secret_backend, 7, "cli")
    second = sync_cli(server, "--once", "--json")  # the last agent's tokens, from the keyring
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["acknowledged"] == 7
    assert len(server.intake_rows("disposition")) == 7

    status = sync_cli(server, "--status", "--json")
    assert status.returncode == 0, status.stderr
    shown = json.loads(status.stdout)
    assert shown["queued"] == 0 and shown["parked"] == 0 and shown["last_success"] is not None

    server.stop()
    queue(secret_backend, 2, "down")
    offline = sync_cli(server, "--once", "--json")
    assert offline.returncode == 3
    assert json.loads(offline.stdout)["connection"] == "offline"
    shown = json.loads(sync_cli(server, "--status", "--json").stdout)
    assert shown["queued"] == 2 and shown["offline_since"] is not None


def test_network_cut_keeps_the_queue(server: RealServer, secret_backend: object) -> None:
    if not can_unshare():
        pytest.skip("unshare --net needs root or user namespaces")
    assert (
        sync_cli(server, "--once", "--login", AGENT, "--password-env", "PULSE_TEST_PW").returncode
        == 0
    )
    queue(secret_backend, 4, "netns")
    cut = sync_cli(server, "--once", "--json", netns=True)
    assert cut.returncode == 3, cut.stderr
    assert json.loads(cut.stdout)["connection"] == "offline"
    assert server.intake_rows("disposition") == []
    back = sync_cli(server, "--once", "--json")
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["acknowledged"] == 4
    assert len(server.intake_rows("disposition")) == 4


def test_login_without_password_variable_is_refused(
    server: RealServer, secret_backend: object
) -> None:
    run = sync_cli(server, "--once", "--login", AGENT, "--password-env", "PULSE_NOT_SET_0101")
    assert run.returncode == 2
    assert "PULSE_NOT_SET_0101" in run.stderr


def test_no_agent_ever_signed_in(server: RealServer, secret_backend: object) -> None:
    run = sync_cli(server, "--status")
    assert run.returncode == 4
    assert "no agent has signed in" in run.stderr
