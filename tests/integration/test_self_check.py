"""``pulse-agent --self-check`` against real parts: the central server over HTTP and HTTPS, a
pulse-phone as the registrar over UDP and TLS, gnome-keyring, PulseAudio null sinks, an
agent's encrypted store; and the same command with the keyring, server and registrar gone."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import ssl
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from agent_app import __version__
from agent_app.foundation.config import Settings
from agent_app.secrets.device_key import DeviceKey
from agent_app.self_check import (
    check_audio,
    check_desk_version,
    check_registrar,
    check_server,
)
from agent_app.sync.api import ServerApi
from agent_app.sync.auth_client import ServerAuthenticator
from agent_app.sync.version_policy import UpdateRequired
from testbed.audio_server import audio_server
from testbed.ports import free_port
from testbed.sync_server import AGENT, AGENT_PASSWORD, RealServer
from testbed.telephony_certs import Pki, make_pki
from testbed.timing import wait_until
from tests.helpers.secret_service_control import controlled_secret_service
from tests.helpers.telephony_peers import Phone, phones

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    real = RealServer(tmp_path_factory.mktemp("server"), patients=5)
    real.start()
    yield real
    real.stop()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[Callable[..., Phone]]:
    with phones(tmp_path) as make:
        yield make


def _settings(**sections: dict[str, Any]) -> Settings:
    return Settings.model_validate(sections)


def _run_self_check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent_app", "--self-check", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


_MAKE_STORE = """
from agent_app.foundation.device import device_id
from agent_app.secrets.store import SecretStore
from agent_app.store.agent_store import AgentStore

AgentStore.open(agent_id="agent-7", workstation_id=device_id(), secrets=SecretStore()).close()
"""


def _by_name(report: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {check["name"]: check for check in report["checks"]}


def test_a_working_workstation_passes(
    tmp_path: Path,
    pulse_home: Path,
    server: RealServer,
    secret_service_env: dict[str, str],
    phone: Callable[..., Phone],
) -> None:
    # An agent has signed in here before: their cache and journal exist, keys in the keyring.
    # Made by a child with the very environment the self-check gets (the keyring's bus and
    # PULSE_HOME), whatever this test process's own environment holds.
    made = subprocess.run(
        [sys.executable, "-c", _MAKE_STORE],
        env={**secret_service_env, "PULSE_HOME": str(pulse_home), "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    registrar_port = free_port()
    phone("listen", "--port", str(registrar_port), "--auto-answer").ready()
    machine = pulse_home / "machine" / "pulse.toml"
    machine.parent.mkdir(parents=True)
    machine.write_text(
        f'[sync]\nserver_url = "{server.url}"\n'
        f'[sip]\nregistrar = "127.0.0.1:{registrar_port}"\ntransport = "udp"\n'
    )
    with audio_server(tmp_path / "pulse") as sound:
        sound.add_speaker("headset_speaker")
        sound.add_microphone("headset_mic")
        sound.set_defaults("headset_speaker", "headset_mic")
        env = {**sound.env, **secret_service_env, "PULSE_HOME": str(pulse_home)}
        env["QT_QPA_PLATFORM"] = "offscreen"
        done = _run_self_check(env, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True and report["version"] == __version__
    checks = _by_name(report)
    assert {c["status"] for c in checks.values()} <= {"pass", "warn"}
    assert "sync.server_url" in checks["configuration"]["finding"]  # locked by the machine file
    assert "SecretService" in checks["keyring"]["finding"]
    assert checks["cache and journal"]["finding"] == "cache: ok; journal: ok"
    assert checks["server"]["finding"].endswith("healthy (loopback, no TLS)")
    assert checks["clock"]["status"] == "pass"
    assert checks["desk version"]["finding"].endswith("the server names no minimum")
    assert "answered OPTIONS (200" in checks["registrar"]["finding"]
    assert checks["audio devices"]["status"] == "pass"
    # Nobody speaks into the null-sink microphone: silence is a warning, not a failure.
    assert checks["microphone level"]["status"] == "warn"
    assert checks["SIP library"]["finding"].startswith("pjsua2 ")
    assert "TLS: OpenSSL" in checks["SIP library"]["finding"]
    assert checks["disk space"]["status"] == "pass"
    # No secret reaches the output: the store keys stay in the keyring.
    assert "store-key" not in done.stdout and AGENT_PASSWORD not in done.stdout


def test_missing_keyring_server_and_registrar_fail_helpfully(
    tmp_path: Path, pulse_home: Path
) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DBUS_SESSION_BUS_ADDRESS", "PULSE_SERVER")
    }
    # No session bus at all: the Secret Service cannot be reached.
    env.update(
        {
            "PULSE_HOME": str(pulse_home),
            "HOME": str(tmp_path),
            "XDG_RUNTIME_DIR": str(tmp_path),
            "DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path}/no-bus",
            "PULSE_SYNC_SERVER_URL": f"http://127.0.0.1:{free_port()}",
            "PULSE_SIP_REGISTRAR": f"127.0.0.1:{free_port()}",
            "QT_QPA_PLATFORM": "offscreen",
        }
    )
    done = _run_self_check(env)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    text = done.stdout
    assert lines[0] == f"Pulse {__version__} self-check"
    assert "[FAIL] keyring: " in text
    assert "[SKIP] cache and journal: no agent has signed in here yet" in text
    assert "connection refused" in text and "the server is not running" in text
    assert "[FAIL] registrar: " in text and "check sip.registrar" in text
    assert text.count("what to do:") >= 3
    assert lines[-1].split(",")[0] != "0 failed"


def test_https_server_trusted_only_with_its_ca(
    tmp_path: Path, server: RealServer, pki: Pki
) -> None:
    port = free_port()
    log = (tmp_path / "tls-server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "server", "serve",
            "--data-dir", str(server.root),
            "--database-url", f"sqlite:///{server.db}",
            "--host", "127.0.0.1", "--port", str(port),
            "--tls-certfile", str(pki.server_cert), "--tls-keyfile", str(pki.server_key),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"https://127.0.0.1:{port}"
    try:

        def up() -> bool:
            try:
                trust = ssl.create_default_context(cafile=str(pki.ca_cert))
                return httpx.get(f"{url}/api/v1/health", verify=trust).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, 60, 0.2, what="the HTTPS server")
        good, client = check_server(
            _settings(sync={"server_url": url, "ca_bundle": str(pki.ca_cert)})
        )
        assert client is not None
        client.close()
        assert good[0].status == "pass" and "certificate trusted" in good[0].finding

        bad, client = check_server(
            _settings(sync={"server_url": url, "ca_bundle": str(pki.other_ca_cert)})
        )
        assert client is None
        assert bad[0].status == "fail"
        assert "certificate is not trusted" in bad[0].finding
        assert "sync.ca_bundle" in bad[0].action
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def test_registrar_over_tls_and_refused_over_tcp(phone: Callable[..., Phone], pki: Pki) -> None:
    port = free_port()
    phone(
        "listen", "--transport", "tls", "--tls-port", str(port),
        "--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key), "--tls-no-verify",
    ).ready()  # fmt: skip
    registrar = f"127.0.0.1:{port}"
    trusted = check_registrar(
        _settings(sip={"registrar": registrar, "transport": "tls", "tls_ca_file": str(pki.ca_cert)})
    )
    assert trusted.status == "pass", trusted
    assert "TLS handshake done" in trusted.finding and "certificate trusted" in trusted.finding

    stranger = check_registrar(
        _settings(
            sip={"registrar": registrar, "transport": "tls", "tls_ca_file": str(pki.other_ca_cert)}
        )
    )
    assert stranger.status == "fail"
    assert "not trusted" in stranger.finding and "sip.tls_ca_file" in stranger.action

    refused = check_registrar(
        _settings(sip={"registrar": f"127.0.0.1:{free_port()}", "transport": "tcp"})
    )
    assert refused.status == "fail" and "connection refused" in refused.finding


def test_a_server_minimum_above_this_desk_says_update_required(
    tmp_path: Path, server: RealServer
) -> None:
    strict = RealServer(
        tmp_path / "strict", template=server, extra_env={"PULSE_SERVER_MIN_DESK_VERSION": "99.0.0"}
    )
    strict.start()
    try:
        body = httpx.get(f"{strict.url}/api/v1/version", timeout=10).json()
        assert body["min_desk_version"] == "99.0.0"
        with httpx.Client(base_url=strict.url, timeout=10) as client:
            check = check_desk_version(client)
        assert check.status == "fail"
        assert check.finding == (
            f"Update required: this server needs Pulse 99.0.0 or later (you have {__version__})."
        )
        api = ServerApi(strict.url, device_id="self-check-test", timeout_s=10)
        try:
            with pytest.raises(UpdateRequired) as info:
                ServerAuthenticator(api)(AGENT, AGENT_PASSWORD)
        finally:
            api.close()
        assert info.value.minimum == "99.0.0"
    finally:
        strict.stop()

    # The usual server names no minimum, and the same sign-in goes through (from a workstation
    # IT enrolled: the server refuses unknown ones).
    key = DeviceKey.generate()
    api = ServerApi(server.url, device_id="self-check-test", timeout_s=10, device_key=key)
    try:
        assert api.min_desk_version() is None
        assert api.enrol(key, code=server.enrolment_code(), name="Self-check test") == "enrolled"
        assert ServerAuthenticator(api)(AGENT, AGENT_PASSWORD).agent_id == AGENT
    finally:
        api.close()


def test_a_microphone_that_hears_something_passes_and_a_missing_ringer_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with audio_server(tmp_path / "pulse") as sound:
        sound.add_speaker("headset_speaker")
        sound.add_microphone("headset_mic")
        sound.set_defaults("headset_speaker", "headset_mic")
        for key, value in sound.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
        seconds = np.arange(48000 * 10) / 48000
        player = sound.play("headset_mic_feed", (8000 * np.sin(2 * np.pi * 440 * seconds)))
        try:
            devices, level = check_audio(_settings(audio={"ringer": "no-such-ringer"}))
        finally:
            player.terminate()
            player.wait(timeout=10)
            if player.stdin is not None:
                with contextlib.suppress(OSError, ValueError):
                    player.stdin.close()
    assert devices.status == "fail"
    assert devices.finding.endswith("missing: ringer")
    assert level.status == "pass", level
    assert float(level.finding.split()[0]) > -40


def test_a_server_that_never_answers_times_out_and_credentials_in_its_url_stay_hidden() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # the connection is queued and never answered
        port = silent.getsockname()[1]
        url = f"http://it-user:not-shown-0101@127.0.0.1:{port}"
        checks, client = check_server(_settings(sync={"server_url": url, "timeout_s": 1}))
    assert client is None
    assert checks[0].status == "fail"
    assert checks[0].finding == f"http://127.0.0.1:{port}/api/v1/health: no answer (timed out)"
    assert "firewall" in checks[0].action


_LOCK_AND_CHECK = """
import contextlib, json
import secretstorage
from agent_app.secrets.store import SecretStore
from agent_app.self_check import check_keyring

unlocked, secrets = check_keyring()
secrets.close()
store = SecretStore()
store.set("self-check-test", "kept-in-the-keyring")
store.close()
with contextlib.closing(secretstorage.dbus_init()) as bus:
    secretstorage.get_default_collection(bus).lock()
locked, secrets = check_keyring()
print(json.dumps({
    "unlocked": [unlocked.status, unlocked.finding],
    "locked": [locked.status, locked.action, repr(locked)],
    "store_returned": secrets is not None,
}))
"""


def test_a_locked_keyring_fails_and_says_to_unlock_it(tmp_path: Path) -> None:
    # In a child that sees only this keyring's bus: nothing of this process's keyring state.
    with controlled_secret_service(tmp_path / "own-keyring") as service:
        done = subprocess.run(
            [sys.executable, "-c", _LOCK_AND_CHECK],
            env={**service.env, "PATH": os.environ["PATH"], "PULSE_HOME": str(tmp_path / "home")},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["unlocked"][0] == "pass" and seen["unlocked"][1].endswith("secure and unlocked")
    status, action, shown = seen["locked"]
    assert seen["store_returned"] is False
    assert status == "fail"
    assert "locked" in action.lower() and "unlock" in action
    assert "kept-in-the-keyring" not in shown
