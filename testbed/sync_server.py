"""The real central server (``pulse-server``) as a subprocess on a free loopback port.

A temporary SQLite database seeded with the synthetic demo world; the server can be stopped
and started again on the same port and database (an outage). ``intake_counts`` reads the
server's database directly, so exactly-once checks do not depend on the API under test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx

from testbed.ports import free_port
from testbed.timing import wait_until
from testbed.workstation import SigningWorkstation

AGENT = "demo"
AGENT_PASSWORD = "agent-pass-0101"  # synthetic test world only
ADMIN = "admin"
ADMIN_PASSWORD = "admin-pass-0101"


class RealServer:
    def __init__(
        self,
        root: Path,
        *,
        patients: int = 40,
        extra_env: dict[str, str] | None = None,
        template: RealServer | None = None,
    ):
        self.root = root
        self.db = root / "server.db"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self._env = {**os.environ, **(extra_env or {})}
        self._log = root / "server.log"
        self._admin_ws: SigningWorkstation | None = None
        root.mkdir(parents=True, exist_ok=True)
        if template is not None:
            # A copy of an already seeded world: seeding costs seconds, a copy milliseconds.
            for name in ("server.db", "signing.key", "sip-secrets.key"):
                if (template.root / name).exists():
                    shutil.copy2(template.root / name, root / name)
            self.world = template.world
            # The copied database has the template's admin workstation enrolled already.
            self._admin_ws = template._admin_ws
            return
        seeded = subprocess.run(
            [
                sys.executable,
                "-m",
                "server",
                "seed-demo",
                "--data-dir",
                str(root),
                "--database-url",
                f"sqlite:///{self.db}",
                "--patients",
                str(patients),
                "--agent-password",
                AGENT_PASSWORD,
                "--admin-password",
                ADMIN_PASSWORD,
            ],
            env=self._env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if seeded.returncode != 0:
            raise RuntimeError(f"seed-demo failed: {seeded.stderr[-2000:]}")
        self.world = json.loads(seeded.stdout.strip().splitlines()[-1])

    def start(self, timeout_s: float = 60.0) -> None:
        assert self.process is None or self.process.poll() is not None
        log = self._log.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server",
                "serve",
                "--data-dir",
                str(self.root),
                "--database-url",
                f"sqlite:///{self.db}",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=self._env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        process = self.process

        def healthy() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {self._log.read_text()[-2000:]}")
            try:
                return httpx.get(f"{self.url}/api/v1/health", timeout=1.0).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, timeout_s, 0.1, what=f"the central server to answer on {self.url}")

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        if kill:
            self.process.send_signal(signal.SIGKILL)
        else:
            self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def enrolment_code(self) -> str:
        """A one-time enrolment code, made through the admin API."""
        made = self.admin("POST", "/enrolment_codes", json={"expires_in_s": 600})
        made.raise_for_status()
        return str(made.json()["code"])

    def _cli_enrolment_code(self, expires: str = "10m") -> str:
        # The admin's own workstation needs a code before any admin can sign in: IT's command.
        made = subprocess.run(
            [
                sys.executable,
                "-m",
                "server",
                "enrolment-code",
                "create",
                "--data-dir",
                str(self.root),
                "--database-url",
                f"sqlite:///{self.db}",
                "--expires",
                expires,
            ],
            env=self._env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if made.returncode != 0:
            raise RuntimeError(f"enrolment-code create failed: {made.stderr[-2000:]}")
        return str(json.loads(made.stdout.strip().splitlines()[-1])["code"])

    def _enrol_admin_desk(self, workstation: SigningWorkstation) -> None:
        response = httpx.post(
            f"{self.url}/api/v1/workstations/enrol",
            json=workstation.enrol_body(self._cli_enrolment_code()),
            timeout=30,
        )
        response.raise_for_status()

    def admin_token(self) -> str:
        # The admin signs in from a workstation of their own, enrolled on first use.
        if self._admin_ws is None:
            workstation = SigningWorkstation(name="Admin desk")
            self._enrol_admin_desk(workstation)
            self._admin_ws = workstation
        response = httpx.post(
            f"{self.url}/api/v1/auth/login",
            json=self._admin_ws.login_body(ADMIN, ADMIN_PASSWORD),
            timeout=30,
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def admin(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.admin_token()}"}
        return httpx.request(
            method, f"{self.url}/api/v1/admin{path}", headers=headers, timeout=30, **kwargs
        )

    def intake_rows(self, kind: str | None = None) -> list[tuple[str, str, dict[str, object]]]:
        """(id, kind, payload) of every stored intake item, read from the database file."""
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            query = "SELECT id, kind, payload FROM intake_items"
            rows = conn.execute(
                query + (" WHERE kind = ?" if kind else ""), (kind,) if kind else ()
            )
            return [(r[0], r[1], json.loads(r[2])) for r in rows]
        finally:
            conn.close()
