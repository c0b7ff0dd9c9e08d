"""The demo that ``make run`` starts: a central server on loopback with a synthetic world.

The server runs as a child process (``pulse-server demo``) on a free 127.0.0.1 port with
its SQLite file in the data directory, seeded once with synthetic patients, campaigns,
scripts and a demo agent. Nothing here is used outside ``--demo``.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from agent_app.foundation import paths

log = logging.getLogger(__name__)

DEMO_AGENT = "demo"
# The demo world is synthetic and local to this machine; its password is printed on purpose.
DEMO_PASSWORD = "demo-password-1"  # noqa: S105
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
    try:
        import server  # noqa: F401  (the server extra must be installed)
    except ImportError:
        raise DemoError(
            "the demo needs the server extra: pip install 'pulse-agent[server]'"
        ) from None
    directory = data_dir or paths.data_dir() / "demo-server"
    directory.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "server", "demo",
        "--host", "127.0.0.1", "--port", str(port),
        "--data-dir", str(directory),
        "--agent-password", DEMO_PASSWORD,
    ]  # fmt: skip
    log_file = (directory / "server.log").open("ab")
    process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
    log_file.close()
    demo = DemoServer(url, DEMO_AGENT, DEMO_PASSWORD, process)
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
                return demo
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    demo.stop()
    raise DemoError(f"the demo server did not answer within {_START_TIMEOUT_S:.0f} s")
