"""``pulse-agent enrol`` as IT runs it: a one-time code from the server enrols the workstation,
its key goes to the real keyring, and sign-ins from it are signed by that key."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from agent_app.foundation.config import Settings
from agent_app.secrets.device_key import DeviceKey
from agent_app.secrets.helper_client import HelperSecrets
from agent_app.secrets.store import SecretStore
from agent_app.sync.service import make_api
from testbed.sync_server import AGENT, AGENT_PASSWORD, RealServer

pytestmark = pytest.mark.integration


def _pulse_agent(
    server: RealServer, *args: str, code: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent_app", *args],
        env={
            **os.environ,
            "PULSE_SYNC_SERVER_URL": server.url,
            "PULSE_TEST_PW": AGENT_PASSWORD,
            "PULSE_TEST_CODE": code,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_it_enrols_a_workstation_whose_sign_ins_are_then_signed(
    server: RealServer, secret_backend: object
) -> None:
    made = server.admin("POST", "/enrolment_codes", json={"expires_in_s": 600})
    assert made.status_code == 201
    code = made.json()["code"]

    enrolled = _pulse_agent(server, "enrol", "--code-env", "PULSE_TEST_CODE", code=code)
    assert enrolled.returncode == 0, enrolled.stderr
    assert "enrolled" in enrolled.stdout
    key = DeviceKey.load(SecretStore(secret_backend))  # type: ignore[arg-type]
    assert key is not None
    # Besides the admin's own desk, the one workstation the command enrolled.
    workstations = [
        w for w in server.admin("GET", "/workstations").json() if w["name"] != "Admin desk"
    ]
    assert [w["status"] for w in workstations] == ["enrolled"]
    device_id = workstations[0]["client_device_id"]

    # The desk's client signs with the key it finds in the keyring.
    synced = _pulse_agent(
        server, "sync", "--once", "--login", AGENT, "--password-env", "PULSE_TEST_PW"
    )
    assert synced.returncode == 0, synced.stderr
    # The desk's own path: its secrets helper signs the sign-in and the refresh.
    settings = Settings().model_copy(
        update={"sync": Settings().sync.model_copy(update={"server_url": server.url})}
    )
    helper = HelperSecrets()
    try:
        api = make_api(settings, device_id=device_id, secrets=helper)
        try:
            assert api.device_key is not None and api.device_key.public_key == key.public_key
            signed_in = api.login(AGENT, AGENT_PASSWORD)
            refreshed = api.refresh(signed_in.refresh_token)
            assert refreshed.access_token != signed_in.access_token
        finally:
            api.close()
    finally:
        helper.close()
    # The id alone (a copied device-id file, no key) is refused.
    bare = httpx.post(
        f"{server.url}/api/v1/auth/login",
        json={"username": AGENT, "password": AGENT_PASSWORD, "device_id": device_id},
        timeout=30,
    )
    assert bare.status_code == 403

    # The code was single use; a failed enrolment keeps the key that works.
    again = _pulse_agent(server, "enrol", "--code-env", "PULSE_TEST_CODE", code=code)
    assert again.returncode == 4
    kept = DeviceKey.load(SecretStore(secret_backend))  # type: ignore[arg-type]
    assert kept is not None and kept.public_key == key.public_key
    assert _pulse_agent(server, "enrol", "--code-env", "PULSE_TEST_CODE").returncode == 2
