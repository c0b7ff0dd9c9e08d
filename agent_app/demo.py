"""The demo that ``make run`` starts: a central server on loopback with a synthetic world.

The server runs as a child process (``pulse-server demo``) on a free 127.0.0.1 port with
its SQLite file in the data directory, seeded once with synthetic patients, campaigns,
scripts and a demo agent. Nothing here is used outside ``--demo``.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from agent_app.foundation import paths
from agent_app.foundation.child_processes import parent_death_preexec

log = logging.getLogger(__name__)

_START_TIMEOUT_S = 60.0


class DemoError(Exception):
    """The demo server could not be started; the message says why."""


@dataclass
class DemoServer:
    url: str
    agent: str
    password: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_demo_server(data_dir: Path | None = None) -> DemoServer:
    # The server runs as its own process; only check that the extra is installed.
    if importlib.util.find_spec("server") is None:
        raise DemoError("the demo needs the server extra: pip install 'pulse-agent[server]'")
    directory = data_dir or paths.data_dir() / "demo-server"
    directory.mkdir(parents=True, exist_ok=True)
    # The server seeds the demo agent with its own synthetic password and hands it over here.
    credentials = directory / "demo-agent.json"
    credentials.unlink(missing_ok=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "server", "demo",
        "--host", "127.0.0.1", "--port", str(port),
        "--data-dir", str(directory),
        "--credentials-file", str(credentials),
    ]  # fmt: skip
    log_file = (directory / "server.log").open("ab")
    # The server ends with the app, even when the app is killed (SIGKILL, a crash).
    process = subprocess.Popen(
        command,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        preexec_fn=parent_death_preexec(),  # noqa: PLW1509 - it makes one system call
    )
    log_file.close()
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DemoError(
                f"the demo server exited with code {process.returncode}; "
                f"see {directory / 'server.log'}"
            )
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1.0).status_code == 200:
                log.info("demo server ready on port %d", port)
                return _demo(url, process, credentials)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    DemoServer(url, "", "", process).stop()
    raise DemoError(f"the demo server did not answer within {_START_TIMEOUT_S:.0f} s")


def _demo(url: str, process: subprocess.Popen[bytes], credentials: Path) -> DemoServer:
    try:
        sign_in = json.loads(credentials.read_text(encoding="utf-8"))
        return DemoServer(url, str(sign_in["username"]), str(sign_in["password"]), process)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        DemoServer(url, "", "", process).stop()
        raise DemoError(f"the demo server did not hand over the demo sign-in ({exc})") from None
