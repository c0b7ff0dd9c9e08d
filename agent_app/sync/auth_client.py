"""Signs an agent in against the central server (``POST /api/v1/auth/login``)."""

from __future__ import annotations

import logging

import httpx

from agent_app.auth import LoginError, LoginResult

log = logging.getLogger(__name__)


class ServerAuthenticator:
    def __init__(
        self, base_url: str, *, device_id: str, timeout_s: float = 10.0, verify: str | bool = True
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._device_id = device_id
        self._timeout = timeout_s
        self._verify = verify

    def __call__(self, agent_id: str, password: str) -> LoginResult:
        url = f"{self._base_url}/api/v1/auth/login"
        try:
            response = httpx.post(
                url,
                json={"username": agent_id, "password": password, "device_id": self._device_id},
                timeout=self._timeout,
                verify=self._verify,
            )
        except httpx.TimeoutException:
            log.warning("login: server timed out")
            raise LoginError(
                "The server did not answer in time. Try again, or tell your team lead."
            ) from None
        except httpx.HTTPError as exc:
            log.warning("login: server unreachable (%s)", type(exc).__name__)
            raise LoginError(f"Cannot reach the server at {self._base_url}.") from None
        if response.status_code == 401:
            raise LoginError("Agent ID or password is not correct.")
        if response.status_code == 423:
            raise LoginError(
                "This account or workstation is locked. Ask your team lead to unlock it."
            )
        if response.status_code == 429:
            raise LoginError("Too many attempts. Wait a minute and try again.")
        if response.status_code != 200:
            log.warning("login: unexpected status %d", response.status_code)
            raise LoginError(f"The server refused the sign-in (HTTP {response.status_code}).")
        try:
            body = response.json()
            agent = body["agent"]
            return LoginResult(
                agent_id=str(agent["username"]),
                display_name=str(agent.get("display_name") or agent["username"]),
                role=str(agent.get("role", "agent")),
                access_token=str(body["access_token"]),
                refresh_token=str(body["refresh_token"]),
                expires_in_s=int(body["expires_in"]),
            )
        except (ValueError, KeyError, TypeError):
            log.warning("login: malformed answer from server")
            raise LoginError("The server answered with something Pulse cannot read.") from None
