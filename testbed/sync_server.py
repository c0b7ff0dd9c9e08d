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
        root.mkdir(parents=True, exist_ok=True)
        if template is not None:
            # A copy of an already seeded world: seeding costs seconds, a copy milliseconds.
            for name in ("server.db", "signing.key", "sip-secrets.key"):
                if (template.root / name).exists():
                    shutil.copy2(template.root / name, root / name)
            self.world = template.world
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

    def admin_token(self) -> str:
        response = httpx.post(
            f"{self.url}/api/v1/auth/login",
            json={"username": ADMIN, "password": ADMIN_PASSWORD, "device_id": _ADMIN_DEVICE},
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


_ADMIN_DEVICE = "00000000-0000-4000-8000-00000000a0a0"
