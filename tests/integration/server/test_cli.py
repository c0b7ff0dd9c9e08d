"""The pulse-server command line: db upgrade, seed-demo (deterministic, idempotent), demo,
create-user, import-patients, openapi."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from server.db import make_engine, session_factory
from server.models import Patient, User
from testbed.ports import free_port
from testbed.telephony_certs import make_pki
from testbed.timing import wait_until


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PULSE_SERVER_ARGON2_MEMORY_KIB": "1024",
        "PULSE_SERVER_ARGON2_TIME_COST": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        capture_output=True,
        text=True,
        timeout=180,
        input=stdin,
        env=env,
        check=False,
    )


def patients_of(url: str) -> list[tuple[str, ...]]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as s:
            rows = s.execute(
                select(
                    Patient.id,
                    Patient.mrn,
                    Patient.given_name,
                    Patient.family_name,
                    Patient.birth_date,
                ).order_by(Patient.mrn)
            )
            return [tuple(str(v) for v in row) for row in rows]
    finally:
        engine.dispose()


def test_db_upgrade_is_idempotent(database_url: str) -> None:
    for _ in range(2):
        run = cli("db", "upgrade", "--database-url", database_url)
        assert run.returncode == 0, run.stderr
        assert "up to date" in run.stdout


def test_seed_demo_is_deterministic_and_idempotent(database_url: str, tmp_path: Path) -> None:
    first = cli(
        "seed-demo", "--database-url", database_url, "--data-dir", str(tmp_path), "--patients", "30"
    )
    assert first.returncode == 0, first.stderr
    world = json.loads(first.stdout.strip().splitlines()[-1])
    assert world["demo_agent"] == {"username": "demo", "password": "pulse-demo-2024"}
    assert world["patients"] == 30
    before = patients_of(database_url)
    again = cli(
        "seed-demo", "--database-url", database_url, "--data-dir", str(tmp_path), "--patients", "30"
    )
    assert json.loads(again.stdout.strip().splitlines()[-1]) == world
    assert patients_of(database_url) == before
    # The same world on a separate SQLite file: identical ids and content.
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert (
        cli(
            "seed-demo", "--database-url", other, "--data-dir", str(tmp_path), "--patients", "30"
        ).returncode
        == 0
    )
    assert patients_of(other) == before
    # More patients extend the world; the first 30 stay as they were.
    more = cli(
        "seed-demo",
        "--database-url",
        database_url,
        "--data-dir",
        str(tmp_path),
        "--patients",
        "40",
        "--agent-password",
        "another-pass-1",
    )
    assert json.loads(more.stdout.strip().splitlines()[-1])["patients"] == 40
    grown = patients_of(database_url)
    assert set(before) <= set(grown) and len(grown) == 40
    assert all(mrn.startswith("DEMO") for _, mrn, *_ in grown)


def test_create_user_and_import(database_url: str, tmp_path: Path) -> None:
    run = cli(
        "create-user",
        "cliagent",
        "--display-name",
        "Cli Agent",
        "--database-url",
        database_url,
        "--data-dir",
        str(tmp_path),
        stdin="a-long-password\n",
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["role"] == "agent"
    dup = cli(
        "create-user",
        "cliagent",
        "--display-name",
        "X",
        "--password",
        "a-long-password",
        "--database-url",
        database_url,
        "--data-dir",
        str(tmp_path),
    )
    assert dup.returncode == 1 and "taken" in dup.stderr
    csv_file = tmp_path / "p.csv"
    csv_file.write_text("mrn,given_name,family_name,birth_date\nC1,Nim,Osk,1990-01-01\n")
    imp = cli(
        "import-patients",
        str(csv_file),
        "--format",
        "csv",
        "--database-url",
        database_url,
        "--data-dir",
        str(tmp_path),
    )
    assert imp.returncode == 0, imp.stderr
    assert json.loads(imp.stdout) == {"created": 1, "updated": 0, "errors": []}
    engine = make_engine(database_url)
    with session_factory(engine)() as s:
        assert s.scalar(select(User.role).where(User.username == "cliagent")) == "agent"
    engine.dispose()
    bad = cli(
        "import-patients",
        str(tmp_path / "none.json"),
        "--format",
        "fhir",
        "--database-url",
        database_url,
        "--data-dir",
        str(tmp_path),
    )
    assert bad.returncode == 2 and "cannot import" in bad.stderr


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_demo_seeds_then_serves(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "demo-data"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server",
            "demo",
            "--port",
            str(port),
            "--data-dir",
            str(data),
            "--patients",
            "25",
            "--agent-password",
            "demo-pass-123",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PULSE_SERVER_ARGON2_MEMORY_KIB": "1024"},
    )
    try:
        base = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                return httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(healthy, 90, 0.2, what="the demo server to answer")
        login = httpx.post(
            f"{base}/api/v1/auth/login",
            json={"username": "demo", "password": "demo-pass-123", "device_id": "demo-device-1"},
        )
        assert login.status_code == 200
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        page = httpx.get(f"{base}/api/v1/sync/patients", headers=headers).json()
        assert len(page["items"]) == 25
        scripts = httpx.get(f"{base}/api/v1/sync/scripts", headers=headers).json()["items"]
        assert {lang for s in scripts for lang in s["variants"]} == {"en", "es"}
        assert (data / "pulse-server.db").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert '"username": "demo"' in out
    assert "Given" not in err
    # The demo's desk signs in unenrolled: the demo says that enrolment is off.
    assert "workstation enrolment is OFF" in err


def test_openapi_command_writes_the_document(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    run = cli("openapi", "--output", str(target))
    assert run.returncode == 0, run.stderr
    assert json.loads(target.read_text())["info"]["title"] == "Pulse central server"


def test_bad_settings_exit_2(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "server", "db", "upgrade"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PULSE_SERVER_PORT": "not-a-port"},
    )
    assert run.returncode == 2
    assert "port" in run.stderr


def _serve(port: int, database_url: str, data_dir: Path, *extra: str) -> list[str]:
    """The ``pulse-server serve`` command line on ``port`` over ``database_url``."""
    return [
        sys.executable, "-m", "server", "serve", "--port", str(port),
        "--database-url", database_url, "--data-dir", str(data_dir), *extra,
    ]  # fmt: skip


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_serve_over_tls(database_url: str, tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    cert, key, ca = pki.server_cert, pki.server_key, pki.ca_cert
    port = free_port()
    proc = subprocess.Popen(
        _serve(
            port, database_url, tmp_path, "--tls-certfile", str(cert), "--tls-keyfile", str(key)
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    trust = ssl.create_default_context(cafile=str(ca))

    def health() -> httpx.Response | None:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            return httpx.get(f"https://127.0.0.1:{port}/api/v1/health", verify=trust, timeout=2)
        except httpx.TransportError:
            return None

    try:
        r = wait_until(health, 90, 0.2, what="the TLS server to answer")
        assert r.json() == {"status": "ok"}
        assert r.headers["strict-transport-security"].startswith("max-age=")
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


def test_create_content_from_json_files(database_url: str, tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(
        json.dumps(
            {
                "name": "Flu shot",
                "variants": {
                    "en": {
                        "steps": [{"id": "a", "text": "Hello {{patient.given_name}}", "next": None}]
                    },
                    "es": {
                        "steps": [{"id": "a", "text": "Hola {{patient.given_name}}", "next": None}]
                    },
                },
            }
        )
    )
    tree = tmp_path / "tree.json"
    tree.write_text(
        json.dumps(
            {
                "name": "Outcomes",
                "codes": [
                    {"code": "REACHED", "label": "Reached"},
                    {
                        "code": "CALLBACK",
                        "label": "Callback",
                        "required_fields": [
                            {"name": "callback_at", "type": "datetime", "label": "When"}
                        ],
                    },
                ],
            }
        )
    )
    common = ("--database-url", database_url, "--data-dir", str(tmp_path))
    made_script = cli("create", "script", str(script), *common)
    assert made_script.returncode == 0, made_script.stderr
    script_id = json.loads(made_script.stdout)["id"]
    again = cli("create", "script", str(script), "--id", script_id, *common)
    assert json.loads(again.stdout) == {"id": script_id, "version": 2}
    tree_id = json.loads(cli("create", "code-tree", str(tree), *common).stdout)["id"]
    campaign = tmp_path / "campaign.json"
    campaign.write_text(
        json.dumps(
            {
                "name": "Flu 2026",
                "kind": "progressive",
                "caller_id": "+12025550150",
                "calling_window": {"start": "09:00", "end": "19:00"},
                "max_attempts": 4,
                "script_id": script_id,
                "code_tree_id": tree_id,
            }
        )
    )
    made = cli("create", "campaign", str(campaign), *common)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["version"] == 1
    campaign.write_text(
        json.dumps({"name": "Bad", "kind": "progressive", "caller_id": "not-a-number"})
    )
    bad = cli("create", "campaign", str(campaign), *common)
    assert bad.returncode == 2 and "caller_id" in bad.stderr


def test_account_commands_disable_enable_reset_and_unlock(
    database_url: str, tmp_path: Path
) -> None:
    from server import identity
    from server.models import SignInFailures, utcnow

    where = ("--database-url", database_url, "--data-dir", str(tmp_path / "data"))
    assert (
        cli("create-user", "acct1", "--display-name", "A", *where, stdin="first-pw-1\n").returncode
        == 0
    )
    engine = make_engine(database_url)
    sessions = session_factory(engine)

    def user() -> User:
        with sessions() as s:
            found = s.scalar(select(User).where(User.username == "acct1"))
            assert found is not None
            return found

    try:
        assert cli("disable-user", "acct1", *where).returncode == 0
        assert user().active is False
        assert cli("enable-user", "acct1", *where).returncode == 0
        assert user().active is True

        reset = cli("reset-password", "acct1", *where, stdin="temp-pw-22\n")
        assert reset.returncode == 0, reset.stderr
        assert "temp-pw-22" not in reset.stdout + reset.stderr
        assert user().must_change_password is True

        with sessions() as s, s.begin():
            s.add(SignInFailures(username="acct1", failures=0, lock_level=2, locked_until=utcnow()))
        with sessions() as s:
            assert s.get(SignInFailures, "acct1") is not None
        assert cli("unlock-user", "acct1", *where).returncode == 0
        with sessions() as s:
            assert s.get(SignInFailures, "acct1") is None
            assert identity.lock_state(s, "acct1") is None

        missing = cli("disable-user", "nobody", *where)
        assert missing.returncode == 1 and "no user" in missing.stderr
        short = cli("reset-password", "acct1", *where, stdin="short\n")
        assert short.returncode == 2
    finally:
        engine.dispose()


def test_enrolment_code_create_prints_a_code_kept_only_as_a_digest(
    database_url: str, tmp_path: Path
) -> None:
    from server import enrolment
    from server.models import EnrolmentCode

    where = ("--database-url", database_url, "--data-dir", str(tmp_path / "data"))
    made = cli("enrolment-code", "create", "--expires", "1h", *where)
    assert made.returncode == 0, made.stderr
    code = json.loads(made.stdout)["code"]
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as s:
            [row] = s.scalars(select(EnrolmentCode)).all()
            assert row.digest == enrolment.code_digest(code)
            assert 3500 < (row.expires_at - row.created_at).total_seconds() <= 3600
    finally:
        engine.dispose()
    assert cli("enrolment-code", "create", "--expires", "soon", *where).returncode == 2


@pytest.mark.slow  # two worker processes start: a few seconds
def test_sign_in_limits_hold_across_the_worker_processes_of_serve(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    proc = subprocess.Popen(
        _serve(port, database_url, tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={
            **os.environ,
            "PULSE_SERVER_WORKERS": "2",
            "PULSE_SERVER_LOGIN_RATE_PER_MINUTE": "4",
            "PULSE_SERVER_ARGON2_MEMORY_KIB": "1024",
            "PULSE_SERVER_ARGON2_TIME_COST": "1",
        },
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def healthy() -> bool:
            assert proc.poll() is None
            try:
                return httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(healthy, 60, 0.2, what="pulse-server serve with two workers")
        codes = []
        for i in range(10):
            # A new connection each time, so the attempts are spread over the workers.
            with httpx.Client(base_url=base, timeout=30) as c:
                codes.append(
                    c.post(
                        "/api/v1/auth/login",
                        json={
                            "username": f"w{i}",
                            "password": "whatever1",
                            "device_id": "dev-0001",
                        },
                    ).status_code
                )
        # The unknown workstation is refused (403) until the shared limit answers 429.
        assert codes.count(403) == 4 and codes.count(429) == 6, codes
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
