"""A throwaway PostgreSQL 15 cluster for tests: initdb in a temp dir, unix socket in that dir,
TCP on a free loopback port, fsync off. As root the cluster runs as the ``postgres`` user
(initdb refuses root)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from testbed.ports import free_port
from testbed.timing import wait_until

PG_BIN = Path(os.environ.get("PULSE_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _as_owner(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """Yield a SQLAlchemy URL of the superuser ``postgres`` on a fresh cluster."""
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError(f"PostgreSQL binaries not found in {PG_BIN} (Debian package postgresql)")
    root = Path(tempfile.mkdtemp(prefix="pulse-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    try:
        subprocess.run(
            _as_owner(
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = (
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            _as_owner(
                [
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(root / "server.log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=90,
        )
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        _wait_ready(port)
        yield url
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_owner(
                    [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
                ),
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(port: int, timeout: float = 30.0) -> None:
    def listening() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    wait_until(listening, timeout, 0.1, what=f"PostgreSQL to listen on port {port}")


def create_database(admin_url: str, name: str, template: str | None = None) -> str:
    """Create ``name`` (optionally from a template database); return its URL."""
    import psycopg

    plain = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        conn.execute(sql)  # type: ignore[arg-type]
    return admin_url.rsplit("/", 1)[0] + "/" + name
