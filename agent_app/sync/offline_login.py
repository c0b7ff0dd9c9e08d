"""Offline unlock: a verifier of the last successful online sign-in, in the OS keyring.

After each online sign-in Pulse keeps a scrypt hash of the password (random salt, memory-hard
parameters) with the agent's name, role and an expiry ``security.offline_login_hours`` later.
While the server is unreachable, the same agent can unlock with the same password until the
expiry; an agent who never signed in on this workstation cannot. A clock turned back before
the sign-in that made the verifier is refused, so the window cannot be stretched by hand.
Wrong passwords are counted in the keyring too, so restarting Pulse does not reset the count.
A verifier made with a lower cost still checks, and is remade at the current cost by the
next online sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
from dataclasses import dataclass

from agent_app.secrets.protocols import Secrets
from agent_app.sync.credentials import agent_key
from agent_app.sync.login import LoginError, LoginResult

_VERIFIER = "sync.offline-verifier.{agent}"
_FAILURES = "sync.offline-failures.{agent}"
# scrypt cost: 2**17 x 8 x 1 = 128 MiB and a few hundred ms a check (the cost recommended for
# stored password verifiers); a stolen keyring entry is then slow to guess at.
_N, _R, _P = 2**17, 8, 1
_MAX_MEMORY = 256 * 1024 * 1024
_CLOCK_TOLERANCE_S = 300.0
_MAX_FAILURES = 5
_LOCKOUT_S = 60.0


class OfflineLoginError(LoginError):
    """An offline unlock that is not allowed; the message is written for the agent."""


@dataclass(frozen=True)
class _Verifier:
    agent_id: str
    display_name: str
    role: str
    salt: bytes
    digest: bytes
    n: int
    r: int
    p: int
    issued_at: float
    expires_at: float


def _hash(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAX_MEMORY, dklen=32
    )


class OfflineVerifier:
    def __init__(self, secrets: Secrets, *, hours: float) -> None:
        self._secrets = secrets
        self.hours = hours
        self._lock = threading.Lock()

    def remember(self, result: LoginResult, password: str, *, now: float | None = None) -> None:
        """Keep a verifier of this successful online sign-in (or none when disabled)."""
        key = agent_key(result.agent_id)
        if self.hours <= 0:
            self.forget(key)
            return
        now = time.time() if now is None else now
        salt = os.urandom(16)
        body = {
            "v": 1,
            "display_name": result.display_name,
            "role": result.role,
            "salt": salt.hex(),
            "hash": _hash(password, salt, _N, _R, _P).hex(),
            "n": _N,
            "r": _R,
            "p": _P,
            "issued_at": now,
            "expires_at": now + self.hours * 3600.0,
        }
        self._secrets.set(_VERIFIER.format(agent=key), json.dumps(body))

    def forget(self, agent_id: str) -> None:
        key = agent_key(agent_id)
        self._secrets.delete(_VERIFIER.format(agent=key))
        self._secrets.delete(_FAILURES.format(agent=key))

    def _failures(self, key: str) -> tuple[int, float]:
        """(wrong passwords in a row, when the last lock ends), as kept in the keyring."""
        raw = self._secrets.get(_FAILURES.format(agent=key))
        if raw is None:
            return 0, 0.0
        try:
            data = json.loads(raw)
            return int(data["count"]), float(data["until"])
        except (ValueError, KeyError, TypeError):
            # An unreadable count must not become a fresh start for a guesser.
            return _MAX_FAILURES, time.time() + _LOCKOUT_S

    def _set_failures(self, key: str, count: int, until: float) -> None:
        name = _FAILURES.format(agent=key)
        if count == 0:
            self._secrets.delete(name)
        else:
            self._secrets.set(name, json.dumps({"count": count, "until": until}))

    def _load(self, key: str) -> _Verifier | None:
        raw = self._secrets.get(_VERIFIER.format(agent=key))
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            return _Verifier(
                agent_id=key,
                display_name=str(data["display_name"]),
                role=str(data["role"]),
                salt=bytes.fromhex(data["salt"]),
                digest=bytes.fromhex(data["hash"]),
                n=int(data["n"]),
                r=int(data["r"]),
                p=int(data["p"]),
                issued_at=float(data["issued_at"]),
                expires_at=float(data["expires_at"]),
            )
        except (ValueError, KeyError, TypeError):
            return None

    def expires_at(self, agent_id: str) -> float | None:
        verifier = self._load(agent_key(agent_id))
        return None if verifier is None else verifier.expires_at

    def unlock(self, agent_id: str, password: str, *, now: float | None = None) -> LoginResult:
        """An offline :class:`LoginResult` or :class:`OfflineLoginError` saying why not."""
        key = agent_key(agent_id)
        now = time.time() if now is None else now
        with self._lock:
            count, until = self._failures(key)
            if count >= _MAX_FAILURES and now < until:
                raise OfflineLoginError(
                    "Offline: too many wrong passwords. Wait a minute and try again."
                )
        if self.hours <= 0:
            raise OfflineLoginError(
                "Offline: the server is unreachable and offline sign-in is turned off "
                "on this workstation."
            )
        verifier = self._load(key)
        if verifier is None:
            raise OfflineLoginError(
                "Offline: the server is unreachable, and you have not signed in on this "
                "workstation before, so Pulse cannot check your password. Try again when "
                "the network is back, or tell your team lead."
            )
        limit = min(verifier.expires_at, verifier.issued_at + self.hours * 3600.0)
        if now < verifier.issued_at - _CLOCK_TOLERANCE_S:
            raise OfflineLoginError(
                "Offline: this workstation's clock is earlier than your last sign-in. "
                "Tell IT; Pulse cannot sign you in offline."
            )
        if now > limit:
            raise OfflineLoginError(
                f"Offline: your last online sign-in was more than {self.hours:g} hours ago. "
                "Pulse needs the server to sign you in again."
            )
        candidate = _hash(password, verifier.salt, verifier.n, verifier.r, verifier.p)
        if not hmac.compare_digest(candidate, verifier.digest):
            with self._lock:
                count, _ = self._failures(key)
                self._set_failures(key, count + 1, now + _LOCKOUT_S)
            raise OfflineLoginError("Offline: agent ID or password is not correct.")
        with self._lock:
            self._set_failures(key, 0, 0.0)
        return LoginResult(
            agent_id=key,
            display_name=verifier.display_name,
            role=verifier.role,
            access_token="",
            refresh_token="",
            expires_in_s=0,
            offline=True,
        )
