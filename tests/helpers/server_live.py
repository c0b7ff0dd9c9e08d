"""A real Pulse server on loopback for tests: uvicorn in a background thread, HTTP on a socket
bound to 127.0.0.1 on a free port, and small client helpers (login, admin calls)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn

from server import enrolment
from server.app import create_app
from server.runtime import Runtime
from server.settings import ServerSettings
from testbed.timing import wait_until
from testbed.workstation import SigningWorkstation


@dataclass
class LiveServer:
    base_url: str
    runtime: Runtime
    clients: list[httpx.Client] = field(default_factory=list)
    workstations: dict[str, SigningWorkstation] = field(default_factory=dict)
    _holders: dict[str, SigningWorkstation] = field(default_factory=dict)
    """The workstation each refresh token was given to, which signs its refresh."""

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        c = httpx.Client(base_url=self.base_url, headers=headers, timeout=60)
        self.clients.append(c)
        return c

    def workstation(self, device_id: str | None = None) -> SigningWorkstation:
        """An enrolled workstation, enrolled on first use of its id with a one-time code, as
        IT would; straight in the database, so that the sign-in throttle counts no enrolment."""
        if device_id is not None and device_id in self.workstations:
            return self.workstations[device_id]
        ws = SigningWorkstation(device_id)
        with self.runtime.sessions() as s, s.begin():
            code, _ = enrolment.create_code(s, self.runtime.settings, 600)
            body = ws.enrol_body(code)
            enrolment.enrol(
                s,
                device_id=ws.device_id,
                public_key=ws.public_key,
                name=ws.name,
                code=code,
                proof=enrolment.Proof(body["signed_at"], body["signature"]),
            )
        self.workstations[ws.device_id] = ws
        return ws

    def login_response(
        self, username: str, password: str, device_id: str | None = None, **extra: Any
    ) -> httpx.Response:
        """A sign-in from an enrolled workstation, signed by its key, whatever the answer."""
        ws = self.workstation(device_id)
        body = {**ws.login_body(username, password), **extra}
        r = self.client().post("/api/v1/auth/login", json=body)
        if r.status_code == 200:
            self._holders[r.json()["refresh_token"]] = ws
        return r

    def refresh_response(self, refresh_token: str) -> httpx.Response:
        """A refresh signed by the workstation the token was given to (unsigned when unknown)."""
        ws = self._holders.get(refresh_token)
        if ws is None:
            body: dict[str, Any] = {"refresh_token": refresh_token}
        else:
            body = ws.refresh_body(refresh_token)
        r = self.client().post("/api/v1/auth/refresh", json=body)
        if r.status_code == 200 and ws is not None:
            self._holders[r.json()["refresh_token"]] = ws
        return r

    def login(self, username: str, password: str, device_id: str | None = None) -> dict[str, Any]:
        r = self.login_response(username, password, device_id)
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
