"""The wire contract of the central server, as typed calls over one HTTP connection pool.

Every answer is checked before it is trusted: a 5xx, a timeout, a refused connection or a
body that is not the promised JSON all become :class:`ServerUnreachable` (the engine
retries later), so a misbehaving proxy can never make the client drop or corrupt data.
``requests_made`` counts HTTP requests (the drain benchmark reports it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from agent_app.foundation.config import plain_http_refusal
from agent_app.secrets.protocols import Signer
from agent_app.sync.clock import ServerClock, parse_iso
from agent_app.sync.errors import (
    AuthExpired,
    CursorGone,
    DeviceRevoked,
    NotEnrolled,
    PasswordChangeRequired,
    RateLimited,
    RequestRejected,
    ServerUnreachable,
)
from agent_app.sync.http_client import Client, HttpError, HttpTimeout, Response, Transport
from agent_app.sync.login import LoginResult
from pulse_contract.device_proof import enrol_message, login_message, refresh_message

log = logging.getLogger(__name__)

FEEDS = ("campaigns", "scripts", "code_trees", "not_ready_reasons", "patients")
MAX_INTAKE_BATCH = 500
_TRANSPORTS = ("udp", "tcp", "tls")


@dataclass(frozen=True)
class FeedPage:
    items: list[dict[str, Any]]
    deleted: list[str]
    cursor: str
    has_more: bool
    snapshot: bool


@dataclass(frozen=True)
class IntakeResult:
    id: str
    status: int
    reason: str | None


@dataclass(frozen=True)
class PhoneAccountAnswer:
    """``GET /api/v1/agent/phone``: the agent's SIP account; ``password`` only when this
    workstation receives the current version for the first time."""

    username: str
    domain: str
    registrar: str
    transport: str
    password_version: int
    already_delivered: bool
    password: str | None = field(default=None, repr=False)


def _retry_after(response: Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _detail(response: Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or "no detail"
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return str(body["detail"])[:300]
    return response.reason_phrase or "no detail"


def _says(response: Response, flag: str) -> bool:
    """True when the JSON error body carries ``flag: true``."""
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get(flag) is True


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError("not text")
    return value


def parse_login(body: Any) -> LoginResult:
    """A login/refresh answer as a :class:`LoginResult`; raises ServerUnreachable if malformed."""
    try:
        agent = body["agent"]
        return LoginResult(
            agent_id=str(agent["username"]),
            display_name=str(agent.get("display_name") or agent["username"]),
            role=str(agent.get("role", "agent")),
            access_token=str(body["access_token"]),
            refresh_token=str(body["refresh_token"]),
            expires_in_s=int(body["expires_in"]),
        )
    except (KeyError, TypeError, ValueError):
        raise ServerUnreachable("the server's sign-in answer is malformed") from None


class ServerApi:
    """One server, one connection pool; thread-safe (the HTTP client is)."""

    def __init__(
        self,
        base_url: str,
        *,
        device_id: str,
        timeout_s: float = 10.0,
        verify: str | bool = True,
        clock: ServerClock | None = None,
        transport: Transport | None = None,
        device_name: str | None = None,
        device_key: Signer | None = None,
    ) -> None:
        if transport is None and (refusal := plain_http_refusal(base_url)) is not None:
            # A given transport never reaches the network (tests' mock servers).
            raise ValueError(refusal)
        self.base_url = base_url.rstrip("/")
        self.device_id = device_id
        self.device_name = device_name
        self.device_key = device_key
        """This workstation's enrolled key: sign-ins and refreshes carry its signature."""
        self.clock = clock or ServerClock()
        self._client = Client(
            self.base_url,
            connect_timeout_s=min(timeout_s, 5.0),
            read_timeout_s=timeout_s,
            verify=verify,
            transport=transport,
            headers={"User-Agent": "pulse-agent"},
        )
        self._count_lock = threading.Lock()
        self.requests_made = 0

    def close(self) -> None:
        self._client.close()

    # -- transport -----------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Response:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        with self._count_lock:
            self.requests_made += 1
        try:
            response = self._client.request(method, path, headers=headers, json=json, params=params)
        except HttpTimeout:
            raise ServerUnreachable(f"{method} {path}: timed out") from None
        except HttpError as exc:
            raise ServerUnreachable(f"{method} {path}: {type(exc).__name__}") from None
        status = response.status_code
        if status >= 500:
            raise ServerUnreachable(
                f"{method} {path}: HTTP {status}", retry_after_s=_retry_after(response)
            )
        if status == 429:
            raise RateLimited(f"{method} {path}: HTTP 429", retry_after_s=_retry_after(response))
        if status == 423:
            wipe = False
            try:
                body = response.json()
                wipe = bool(isinstance(body, dict) and body.get("wipe"))
            except ValueError:
                pass
            raise DeviceRevoked(f"{method} {path}: HTTP 423 ({_detail(response)})", wipe=wipe)
        if status == 401:
            raise AuthExpired(f"{method} {path}: HTTP 401")
        if status == 403 and _says(response, "enrolment_required"):
            raise NotEnrolled(f"{method} {path}: HTTP 403 (workstation not enrolled)")
        if status == 403 and _says(response, "password_change_required"):
            raise PasswordChangeRequired(f"{method} {path}: HTTP 403 (new password required)")
        if status == 410:
            raise CursorGone(f"{method} {path}: HTTP 410 ({_detail(response)})")
        if 400 <= status < 500:
            raise RequestRejected(status, _detail(response))
        return response

    @staticmethod
    def _json(response: Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ServerUnreachable(f"{what}: the answer is not JSON") from None

    # -- identity ------------------------------------------------------------------

    def login(self, username: str, password: str) -> LoginResult:
        body: dict[str, Any] = {
            "username": username,
            "password": password,
            "device_id": self.device_id,
        }
        if self.device_name:
            body["device_name"] = self.device_name
        self._sign(body, lambda at: login_message(self.device_id, username, at))
        response = self._send("POST", "/api/v1/auth/login", json=body)
        return parse_login(self._json(response, "login"))

    def change_password(self, username: str, password: str, new_password: str) -> LoginResult:
        """Sign in and replace the password in one step (required after an admin's reset)."""
        body: dict[str, Any] = {
            "username": username,
            "password": password,
            "new_password": new_password,
            "device_id": self.device_id,
        }
        if self.device_name:
            body["device_name"] = self.device_name
        self._sign(body, lambda at: login_message(self.device_id, username, at))
        response = self._send("POST", "/api/v1/auth/change_password", json=body)
        return parse_login(self._json(response, "change password"))

    def refresh(self, refresh_token: str) -> LoginResult:
        body: dict[str, Any] = {"refresh_token": refresh_token}
        self._sign(body, lambda at: refresh_message(refresh_token, at))
        response = self._send("POST", "/api/v1/auth/refresh", json=body)
        return parse_login(self._json(response, "refresh"))

    def _signed_at(self) -> int:
        # The server's clock, as far as it is known: a skewed workstation still proves itself.
        return int(time.time() + self.clock.offset_s)

    def _sign(self, body: dict[str, Any], message: Callable[[int], bytes]) -> None:
        if self.device_key is None:
            return
        signed_at = self._signed_at()
        body["signed_at"] = signed_at
        body["device_signature"] = self.device_key.sign(message(signed_at))

    def enrol(self, key: Signer, *, code: str | None, name: str) -> str:
        """Register this workstation's key with IT's one-time code (or, without one, ask for an
        admin's approval); returns ``enrolled`` or ``pending``."""
        signed_at = self._signed_at()
        body: dict[str, Any] = {
            "device_id": self.device_id,
            "public_key": key.public_key,
            "name": name[:200],
            "signed_at": signed_at,
            "signature": key.sign(enrol_message(self.device_id, key.public_key, signed_at)),
        }
        if code:
            body["code"] = code
        response = self._send("POST", "/api/v1/workstations/enrol", json=body)
        status = self._json(response, "enrol").get("status")
        if status not in ("enrolled", "pending"):
            raise ServerUnreachable("enrol: the answer is malformed")
        return str(status)

    def logout(self, access_token: str) -> None:
        self._send("POST", "/api/v1/auth/logout", token=access_token)

    def min_desk_version(self) -> str | None:
        """The oldest desk version the server serves, or None (it names none, or predates
        the version endpoint)."""
        try:
            response = self._send("GET", "/api/v1/version")
        except RequestRejected:
            return None  # an older server without the endpoint (404)
        body = self._json(response, "version")
        minimum = body.get("min_desk_version") if isinstance(body, dict) else None
        return str(minimum) if minimum else None

    def measure_time(self) -> float:
        """Measure the server's clock offset; returns it (seconds, server minus local)."""
        sent = time.time()
        response = self._send("GET", "/api/v1/time")
        received = time.time()
        body = self._json(response, "time")
        try:
            server_time = parse_iso(str(body["server_time"]))
        except (KeyError, TypeError, ValueError):
            raise ServerUnreachable("time: the answer is malformed") from None
        return self.clock.observe(server_time, sent, received)

    # -- feeds and intake ----------------------------------------------------------

    def pull(self, feed: str, cursor: str | None, *, token: str, limit: int = 1000) -> FeedPage:
        if feed not in FEEDS:
            raise ValueError(f"unknown feed {feed!r}")
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = self._send("GET", f"/api/v1/sync/{feed}", token=token, params=params)
        body = self._json(response, f"sync/{feed}")
        try:
            items = body["items"]
            deleted = body["deleted"]
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise TypeError("items")
            if not isinstance(deleted, list):
                raise TypeError("deleted")
            for item in items:
                if not isinstance(item.get("id"), str):
                    raise TypeError("item id")
            return FeedPage(
                items=items,
                deleted=[str(d) for d in deleted],
                cursor=str(body["cursor"]),
                has_more=bool(body["has_more"]),
                snapshot=bool(body.get("snapshot", False)),
            )
        except (KeyError, TypeError):
            raise ServerUnreachable(f"sync/{feed}: the answer is malformed") from None

    def phone_account(self, *, token: str) -> PhoneAccountAnswer | None:
        """The agent's phone account; None when no extension is assigned (404)."""
        try:
            response = self._send("GET", "/api/v1/agent/phone", token=token)
        except RequestRejected as exc:
            if exc.status == 404:
                return None
            raise
        body = self._json(response, "agent/phone")
        try:
            password = body["password"]
            answer = PhoneAccountAnswer(
                username=_text(body["username"]),
                domain=_text(body["domain"]),
                registrar=_text(body["registrar"]),
                transport=_text(body["transport"]),
                password_version=int(body["password_version"]),
                already_delivered=bool(body["already_delivered"]),
                password=None if password is None else _text(password),
            )
        except (KeyError, TypeError, ValueError):
            # Never the body in the message: it may carry the password.
            raise ServerUnreachable("agent/phone: the answer is malformed") from None
        if answer.transport not in _TRANSPORTS:
            raise ServerUnreachable("agent/phone: the answer names an unknown transport")
        return answer

    def push(self, items: Sequence[dict[str, Any]], *, token: str) -> list[IntakeResult]:
        if len(items) > MAX_INTAKE_BATCH:
            raise ValueError(f"at most {MAX_INTAKE_BATCH} items per intake request")
        response = self._send("POST", "/api/v1/intake", token=token, json={"items": list(items)})
        body = self._json(response, "intake")
        try:
            results = [
                IntakeResult(
                    id=str(r["id"]),
                    status=int(r["status"]),
                    reason=None if r.get("reason") is None else str(r["reason"]),
                )
                for r in body["results"]
            ]
        except (KeyError, TypeError, ValueError):
            raise ServerUnreachable("intake: the answer is malformed") from None
        return results

    # -- outbound dialing ----------------------------------------------------------

    def lease_next(self, campaign_id: str, *, token: str, batch: int = 1) -> dict[str, Any]:
        """The campaign's next patients as leases (``{"leases": [...], "next_due_at"}``)."""
        response = self._send(
            "POST",
            f"/api/v1/agent/campaigns/{quote(campaign_id, safe='')}/next",
            token=token,
            params={"batch": batch} if batch > 1 else None,
        )
        return _object(self._json(response, "lease"), "leases", "lease")

    def release_lease(
        self, lease_id: str, reason: str, *, token: str, retry_in_s: int | None = None
    ) -> None:
        """Give a leased patient back without a call (a skip), with the reason code."""
        body: dict[str, Any] = {"reason": reason}
        if retry_in_s is not None:
            body["retry_in_s"] = retry_in_s
        self._send(
            "POST",
            f"/api/v1/agent/leases/{quote(lease_id, safe='')}/release",
            token=token,
            json=body,
        )

    def callbacks(self, *, token: str) -> dict[str, Any]:
        """Callbacks for this agent and for anyone on its campaigns (``{"callbacks": [...]}``)."""
        response = self._send("GET", "/api/v1/agent/callbacks", token=token)
        return _object(self._json(response, "callbacks"), "callbacks", "callbacks")

    def attempts(self, patient_id: str, *, token: str) -> dict[str, Any]:
        """A patient's calls and skips across campaigns, newest first."""
        response = self._send(
            "GET", f"/api/v1/agent/patients/{quote(patient_id, safe='')}/attempts", token=token
        )
        return _object(self._json(response, "attempts"), "attempts", "attempts")


def _object(body: Any, key: str, what: str) -> dict[str, Any]:
    """The answer as an object whose ``key`` is a list of objects; else malformed."""
    if not isinstance(body, dict):
        raise ServerUnreachable(f"{what}: the answer is malformed")
    items = body.get(key)
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ServerUnreachable(f"{what}: the answer is malformed")
    return body
