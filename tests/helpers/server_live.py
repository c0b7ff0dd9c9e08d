"""A real Pulse server on loopback for tests: uvicorn in a background thread, HTTP on a socket
bound to 127.0.0.1 on a free port, and small client helpers (login, admin calls)."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn

from server.app import create_app
from server.runtime import Runtime
from server.settings import ServerSettings
from testbed.timing import wait_until


@dataclass
class LiveServer:
    base_url: str
    runtime: Runtime
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        c = httpx.Client(base_url=self.base_url, headers=headers, timeout=60)
        self.clients.append(c)
        return c

    def login(self, username: str, password: str, device_id: str | None = None) -> dict[str, Any]:
        r = self.client().post(
            "/api/v1/auth/login",
            json={
                "username": username,
                "password": password,
                "device_id": device_id or str(uuid.uuid4()),
            },
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def as_user(self, username: str, password: str, device_id: str | None = None) -> httpx.Client:
        return self.client(self.login(username, password, device_id)["access_token"])


@contextmanager
def live_server(settings: ServerSettings) -> Iterator[LiveServer]:
    runtime = Runtime.build(settings)
    app = create_app(runtime=runtime)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # As ``pulse-server serve``: the server, not uvicorn, decides which proxies to believe.
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", proxy_headers=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()

    def started() -> bool:
        if server.started:
            return True
        if not thread.is_alive():
            raise RuntimeError("the test server's thread ended before it started")
        return False

    wait_until(started, 30, 0.01, what="the test server to start")
    live = LiveServer(f"http://127.0.0.1:{port}", runtime)
    try:
        yield live
    finally:
        for c in live.clients:
            c.close()
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        runtime.close()
