"""Registration against sipp (401 digest) and Kamailio (401/407, relay), recovery and
fallback, IP-change re-registration; pulse-phone's exit status and JSON output."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent_app.telephony import protocol as p
from testbed.ports import free_port
from tests.helpers.telephony_peers import (
    TEST_PASSWORD,
    json_events,
    kamailio,
    sipp_registrar,
    wait_bound,
)

pytestmark = pytest.mark.integration


def _pulse_phone(*args: str, password: str = TEST_PASSWORD, timeout: float = 30):
    env = {**os.environ, "SIP_TEST_PASSWORD": password}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "agent_app.telephony.phone_cli",
            *args,
            "--password-env",
            "SIP_TEST_PASSWORD",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_pulse_phone_registers_with_digest_at_sipp(tmp_path: Path, transport: str) -> None:
    port = free_port()
    registrar = sipp_registrar(tmp_path, port, "u1" if transport == "udp" else "t1")
    try:
        wait_bound(port, transport)
        result = _pulse_phone(
            "register",
            "--registrar",
            f"127.0.0.1:{port}",
            "--username",
            "agent",
            "--transport",
            transport,
            "--timeout",
            "15",
        )
    finally:
        registrar.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    states = [
        (e["state"], e["code"])
        for e in json_events(result.stdout)
        if e["type"] == "registration_changed"
    ]
    assert states[0] == ("registering", 0)
    assert ("registered", 200) in states
    assert TEST_PASSWORD not in result.stdout + result.stderr


def test_wrong_password_fails_with_the_registrar_code(tmp_path: Path) -> None:
    port = free_port()
    registrar = sipp_registrar(tmp_path, port)
    try:
        wait_bound(port)
        result = _pulse_phone(
            "register",
            "--registrar",
            f"127.0.0.1:{port}",
            "--username",
            "agent",
            "--timeout",
            "6",
            password="wrong",
        )
    finally:
        registrar.stop()
    assert result.returncode == 1
    failed = [
        e
        for e in json_events(result.stdout)
        if e["type"] == "registration_changed" and e["state"] == "failed"
    ]
    assert failed and failed[0]["code"] == 403


def test_password_is_never_taken_from_the_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "agent_app.telephony.phone_cli", "register", "--password", "x"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and "unrecognized arguments" in result.stderr


@pytest.fixture
def kamailio_port(tmp_path: Path):
    port = free_port()
    daemon = kamailio(tmp_path, port)
    yield port
    daemon.stop()


def _account(port: int, user: str, transport: str = "udp", **extra: object) -> dict[str, object]:
    return {
        "account_id": "agent",
        "username": user,
        "domain": f"127.0.0.1:{port}",
        "registrar": f"127.0.0.1:{port}",
        "transport": transport,
        "password": TEST_PASSWORD,
        "register": True,
        "expiry_s": 60,
        **extra,
    }


def test_call_through_kamailio_with_407_and_media(
    start_engine, phone, kamailio_port: int, tones, tmp_path: Path
) -> None:
    port = kamailio_port
    peer = phone(
        "listen",
        "--register",
        "--registrar",
        f"127.0.0.1:{port}",
        "--domain",
        f"127.0.0.1:{port}",
        "--username",
        "nurse",
        "--transport",
        "tcp",
        "--auto-answer",
        "--play",
        str(tones[1000]),
        "--password-env",
        "SIP_TEST_PASSWORD",
        "--commands-stdin",
        env={"SIP_TEST_PASSWORD": TEST_PASSWORD},
    )
    peer.events.wait_type(p.RegistrationChanged, state="registered")
    eng = start_engine(**_account(port, "agent"))
    eng.events.wait_type(p.RegistrationChanged, account_id="agent", state="registered")
    eng.send(p.Dial(call_id="c1", account_id="agent", target="nurse"))
    ours = tmp_path / "ours.wav"
    eng.send(p.RecordFile(call_id="c1", path=str(ours)))
    eng.events.wait_type(p.CallStateChanged, call_id="c1", state="confirmed")
    incoming = peer.events.wait_type(p.IncomingCall)
    assert incoming.number == "agent"
    time.sleep(1.5)  # the call's length: its recording is checked
    eng.send(p.Hangup(call_id="c1"))
    eng.events.wait_type(p.CallEnded, call_id="c1")
    from tests.helpers.telephony_peers import tone_windows

    assert max(tone_windows(ours, 1000)) > 0.8
    eng.send(p.RemoveAccount(account_id="agent"))
    eng.events.wait_type(p.RegistrationChanged, account_id="agent", state="unregistered")
    # Kamailio forgot the agent: calling it now fails with 404 from the proxy.
    peer.send(p.Dial(call_id="back", account_id="main", target="agent"))
    assert peer.events.wait_type(p.CallEnded, call_id="back").code == 404


def test_registrar_down_then_back_and_ip_change(start_engine, tmp_path: Path) -> None:
    port = free_port()
    eng = start_engine(
        p.EngineConfig(bind_address="127.0.0.1", local_port=free_port(), transports=("tcp",)),
        **_account(port, "agent", "tcp", retry_first_s=1, retry_s=2),
    )
    failed = eng.events.wait_type(p.RegistrationChanged, state="failed", timeout=20)
    assert failed.code >= 400
    daemon = kamailio(tmp_path, port)
    try:
        registered = eng.events.wait_type(p.RegistrationChanged, state="registered", timeout=30)
        assert registered.code == 200 and registered.expires_s > 0
        eng.send(p.HandleIpChange())
        eng.events.wait_for(
            lambda e: (
                isinstance(e, p.RegistrationChanged)
                and e.state == "registered"
                and e.at > registered.at
            ),
            timeout=20,
            what="re-registration after the IP change",
        )
    finally:
        daemon.stop()


def test_fallback_registrar_takes_over(start_engine, kamailio_port: int) -> None:
    dead = free_port()
    eng = start_engine(
        p.EngineConfig(bind_address="127.0.0.1", local_port=free_port(), transports=("tcp",)),
        **_account(
            dead,
            "agent",
            "tcp",
            retry_first_s=1,
            retry_s=1,
            fallback_registrar=f"127.0.0.1:{kamailio_port}",
        ),
    )
    registered = eng.events.wait_type(p.RegistrationChanged, state="registered", timeout=30)
    assert registered.registrar == f"127.0.0.1:{kamailio_port}"


def test_registration_over_tls_with_verification_and_pin(start_engine, tmp_path: Path) -> None:
    from testbed.telephony_certs import make_pki

    pki = make_pki(tmp_path / "pki")
    port, tls_port = free_port(), free_port()
    daemon = kamailio(tmp_path, port, tls_port, pki.server_cert, pki.server_key)
    try:
        eng = start_engine(
            p.EngineConfig(
                transports=("tls",),
                bind_address="127.0.0.1",
                tls_port=free_port(),
                tls_ca_file=str(pki.ca_cert),
                tls_pin_sha256=pki.server_sha256(),
            ),
            **_account(tls_port, "agent", "tls"),
        )
        registered = eng.events.wait_type(p.RegistrationChanged, state="registered", timeout=30)
        assert registered.code == 200
        assert not eng.events.of_type(p.TransportProblem)
    finally:
        daemon.stop()


def test_pulse_phone_takes_the_password_from_the_keyring(
    tmp_path: Path, secret_backend: object
) -> None:
    from agent_app.secrets.store import SecretStore
    from agent_app.telephony.settings_bridge import SIP_PASSWORD_SECRET

    SecretStore(secret_backend).set(SIP_PASSWORD_SECRET, TEST_PASSWORD)  # type: ignore[arg-type]
    port = free_port()
    registrar = sipp_registrar(tmp_path, port)
    try:
        wait_bound(port)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "agent_app.telephony.phone_cli",
                "register",
                "--registrar",
                f"127.0.0.1:{port}",
                "--username",
                "agent",
                "--password-keyring",
                SIP_PASSWORD_SECRET,
                "--timeout",
                "15",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    finally:
        registrar.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert any(
        e["type"] == "registration_changed" and e["state"] == "registered"
        for e in json_events(result.stdout)
    )
