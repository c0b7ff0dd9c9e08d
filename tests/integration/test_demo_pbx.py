"""The demo's phone system behind ``make run``: real Kamailio on loopback registers the desk's
extension and relays a synthetic patient's call to it; it ends with the demo, even when the
app is killed; without Kamailio the demo runs without its phone and says so."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agent_app.demo import pbx as pbx_module
from agent_app.demo.pbx import DemoPbx, ping, start_demo_pbx
from agent_app.demo.server import PHONE_FILE, start_demo_server
from agent_app.foundation import paths
from agent_app.foundation.config import SipSettings
from agent_app.telephony import protocol as p
from agent_app.telephony.settings_bridge import SIP_PASSWORD_SECRET
from tests.helpers.telephony_peers import Phone, json_events, phones

pytestmark = pytest.mark.integration

CALLER = "+15555550123"  # synthetic, outside the demo world's numbers


def _phone_cli(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent_app.telephony.phone_cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
        input=stdin,
    )


def _processes_running(config: Path) -> list[int]:
    """Live processes started with ``config`` (Kamailio's children share its command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if str(config).encode() in command:
            found.append(int(entry.name))
    return found


def _wait_gone(config: Path, timeout: float = 15.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := _processes_running(config)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.fixture
def pbx(tmp_path: Path) -> Iterator[DemoPbx]:
    started = start_demo_pbx(tmp_path / "pbx")
    try:
        yield started
    finally:
        started.stop()


def test_the_demo_pbx_registers_the_extension_with_the_demo_password_only(pbx: DemoPbx) -> None:
    assert pbx.registrar == f"127.0.0.1:{pbx.port}"
    assert (pbx.directory / "kamailio.cfg").stat().st_mode & 0o077 == 0
    common = ["register", "--registrar", pbx.registrar, "--username", "1001", "--timeout", "10"]

    registered = _phone_cli(*common, "--password-env", "DEMO_PW", env={"DEMO_PW": pbx.password})
    refused = _phone_cli(*common, "--password-env", "DEMO_PW", env={"DEMO_PW": "not-it"})
    # The demo caller's way: the password on standard input, not in the environment.
    piped = _phone_cli(*common, "--password-stdin", stdin=pbx.password + "\n")

    for answer in (registered, piped):
        assert answer.returncode == 0, answer.stdout + answer.stderr
        assert any(
            e["type"] == "registration_changed" and e["state"] == "registered"
            for e in json_events(answer.stdout)
        )
    assert refused.returncode != 0, refused.stdout


def test_a_loopback_caller_rings_the_registered_extension(pbx: DemoPbx, tmp_path: Path) -> None:
    with phones(tmp_path) as make:
        desk = make(
            "listen", "--registrar", pbx.registrar, "--username", "1001",
            "--password-env", "DEMO_PW", "--register", "--auto-answer",
            env={"DEMO_PW": pbx.password},
        )  # fmt: skip
        desk.events.wait_type(p.RegistrationChanged, state="registered")

        call = _phone_cli(
            "call", "--username", CALLER, "--domain", "127.0.0.1",
            "--duration", "1", "--timeout", "20", f"sip:1001@{pbx.registrar}",
        )  # fmt: skip

        assert call.returncode == 0, call.stdout + call.stderr
        incoming = desk.events.wait_type(p.IncomingCall)
        assert incoming.number == CALLER
        desk.events.wait_type(p.CallEnded)


def test_the_desk_settings_point_at_the_pbx_as_extension_1001(pbx: DemoPbx) -> None:
    base = SipSettings(registrar="pbx.example.org", outbound_proxy="edge.example.org")

    sip = pbx.sip_settings(base)

    assert (sip.registrar, sip.domain, sip.username, sip.transport) == (
        pbx.registrar,
        pbx.registrar,
        "1001",
        "udp",
    )
    assert sip.outbound_proxy == ""
    assert sip.codecs == base.codecs


def test_the_pbx_ends_with_the_app_even_when_the_app_is_killed(tmp_path: Path) -> None:
    directory = tmp_path / "pbx"
    app = subprocess.Popen(
        [
            sys.executable, "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from agent_app.demo.pbx import start_demo_pbx\n"
            "print(start_demo_pbx(Path(sys.argv[1])).port, flush=True)\n"
            "time.sleep(300)\n",
            str(directory),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert app.stdout is not None
        port = int(app.stdout.readline())
        assert ping(port)
        assert _processes_running(directory / "kamailio.cfg")
    finally:
        app.kill()
        app.wait()
        if app.stdout is not None:
            app.stdout.close()
    assert _wait_gone(directory / "kamailio.cfg") == []
    assert not ping(port, timeout=0.3)


@pytest.mark.slow
def test_a_demo_patient_rings_the_desk_and_the_desk_reaches_a_patient(
    tmp_path: Path, secret_backend: object
) -> None:
    from agent_app.secrets.store import SecretStore

    demo = start_demo_server()
    try:
        assert demo.pbx is not None, demo.pbx_problem
        config = demo.pbx.directory / "kamailio.cfg"
        phone_file = paths.data_dir() / "demo-server" / PHONE_FILE
        assert phone_file.stat().st_mode & 0o077 == 0
        secrets = SecretStore(secret_backend)  # type: ignore[arg-type]
        sip = demo.prepare_phone(SipSettings(), secrets)
        assert secrets.get(SIP_PASSWORD_SECRET) == demo.pbx.password
        with phones(tmp_path) as make:
            # The desk's account as the session builds it: settings plus the keyring entry.
            desk = make(
                "listen", "--registrar", sip.registrar, "--domain", sip.domain,
                "--username", sip.username, "--password-keyring", SIP_PASSWORD_SECRET,
                "--register", "--auto-answer",
            )  # fmt: skip
            desk.events.wait_type(p.RegistrationChanged, state="registered")

            ring = _demo_call("--ring", "20", "--talk", "1")

            assert ring.returncode == 0, ring.stdout + ring.stderr
            assert "demo-call: answered" in ring.stdout
            caller = desk.events.wait_type(p.IncomingCall).number
            assert _owners(demo.url, demo.agent, demo.password, caller) == 1
            _the_desk_reaches_a_patient_who_answers(sip)
    finally:
        demo.stop()
    assert not phone_file.exists()
    assert demo.process.poll() is not None
    assert _wait_gone(config) == []


def _demo_call(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent_app.demo.call", *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def _the_desk_reaches_a_patient_who_answers(sip: SipSettings) -> None:
    patient = subprocess.Popen(
        [sys.executable, "-m", "agent_app.demo.call", "--answer"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert patient.stdout is not None
        lines = []
        for line in patient.stdout:
            lines.append(line)
            if "registered at the demo PBX" in line:
                break
        number = next(w for line in lines for w in line.split() if w.startswith("+"))
        call = _phone_cli(
            "call", "--username", sip.username, "--domain", sip.domain,
            "--duration", "1", "--timeout", "20", number,
        )  # fmt: skip
        assert call.returncode == 0, "".join(lines) + call.stdout + call.stderr
    finally:
        patient.send_signal(signal.SIGTERM)
        out, err = patient.communicate(timeout=30)
    assert patient.returncode == 0, out + err
    assert "the desk is calling" in out


def _owners(url: str, agent: str, password: str, number: str) -> int:
    """How many of the agent's patients have ``number`` (as the demo server says)."""
    with httpx.Client(base_url=url, timeout=30) as client:
        login = client.post(
            "/api/v1/auth/login",
            json={"username": agent, "password": password, "device_id": "test-device-0001"},
        )
        token = login.json()["access_token"]
        feed = client.get(
            "/api/v1/sync/patients",
            params={"limit": 500},
            headers={"Authorization": f"Bearer {token}"},
        )
    return sum(
        any(phone["number"] == number for phone in patient["phones"])
        for patient in feed.json()["items"]
    )


def test_without_kamailio_the_demo_runs_without_its_phone_and_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(pbx_module, "_SYSTEM_DIRS", ())
    # The server is started with this interpreter, not through PATH.
    demo = start_demo_server(tmp_path / "demo")
    try:
        assert demo.pbx is None
        assert "apt-get install kamailio" in demo.pbx_problem
        assert demo.pbx_problem in capsys.readouterr().err
        assert httpx.get(f"{demo.url}/api/v1/health", timeout=10).status_code == 200
        base = SipSettings()
        assert demo.prepare_phone(base, secrets=object()) is base  # type: ignore[arg-type]
        assert not (tmp_path / "demo" / PHONE_FILE).exists()
        missing = _demo_call("--demo-dir", str(tmp_path / "demo"))
        assert missing.returncode == 1
        assert "make run" in missing.stderr
    finally:
        demo.stop()
    assert demo.process.poll() is not None


def test_demo_call_reads_the_phone_file_it_is_given(pbx: DemoPbx, tmp_path: Path) -> None:
    directory = tmp_path / "elsewhere"
    directory.mkdir()
    (directory / PHONE_FILE).write_text(
        json.dumps(
            {
                "server_url": "http://127.0.0.1:9",
                "registrar": pbx.registrar,
                "extension": "1001",
                "password": pbx.password,
                "pid": pbx.process.pid,
            }
        )
    )
    with phones(tmp_path) as make:
        desk: Phone = make(
            "listen", "--registrar", pbx.registrar, "--username", "1001",
            "--password-env", "DEMO_PW", "--register", "--auto-answer",
            env={"DEMO_PW": pbx.password},
        )  # fmt: skip
        desk.events.wait_type(p.RegistrationChanged, state="registered")

        ring = _demo_call("--demo-dir", str(directory), "--from", CALLER, "--talk", "1")

        assert ring.returncode == 0, ring.stdout + ring.stderr
        assert f"from {CALLER}" in ring.stdout
        assert desk.events.wait_type(p.IncomingCall).number == CALLER


def test_demo_call_rings_as_a_demo_case(pbx: DemoPbx, tmp_path: Path) -> None:
    directory = tmp_path / "elsewhere"
    directory.mkdir()
    (directory / PHONE_FILE).write_text(
        json.dumps(
            {
                "server_url": "http://127.0.0.1:9",
                "registrar": pbx.registrar,
                "extension": "1001",
                "password": pbx.password,
                "pid": pbx.process.pid,
            }
        )
    )
    household = "+19795550102"
    (directory / "demo-agent.json").write_text(
        json.dumps(
            {
                "username": "demo",
                "password": "synthetic",
                "cases": [
                    {"key": "known", "title": "a known patient", "number": "+19795550101"},
                    {"key": "household", "title": "a household number", "number": household},
                ],
            }
        )
    )
    with phones(tmp_path) as make:
        desk: Phone = make(
            "listen", "--registrar", pbx.registrar, "--username", "1001",
            "--password-env", "DEMO_PW", "--register", "--auto-answer",
            env={"DEMO_PW": pbx.password},
        )  # fmt: skip
        desk.events.wait_type(p.RegistrationChanged, state="registered")

        ring = _demo_call("--demo-dir", str(directory), "--case", "household", "--talk", "1")
        unknown = _demo_call("--demo-dir", str(directory), "--case", "nobody")

        assert ring.returncode == 0, ring.stdout + ring.stderr
        assert "(a household number)" in ring.stdout
        assert desk.events.wait_type(p.IncomingCall).number == household
        assert unknown.returncode == 1
        assert "no case 'nobody' (its cases: known, household)" in unknown.stderr
