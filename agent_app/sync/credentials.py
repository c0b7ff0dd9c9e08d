"""Server tokens of each agent, kept only in the OS keyring (never in a file).

The last agent who signed in through the window is remembered too, so that the headless
``pulse-agent sync`` of IT can use that agent's tokens. The refresh token rotates on every
refresh; the new one is written before the old one is forgotten.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

from agent_app.secrets.protocols import Secrets
from agent_app.sync.login import LoginResult

_TOKENS = "sync.tokens.{agent}"
_LAST_AGENT = "sync.last-agent"


def agent_key(agent_id: str) -> str:
    """The keyring-safe, case-insensitive form of an agent id."""
    return agent_id.strip().lower()


@dataclass(frozen=True)
class StoredTokens:
    agent_id: str
    access_token: str
    refresh_token: str
    expires_at: float  # time.time() seconds

    def __repr__(self) -> str:
        return f"StoredTokens(agent_id={self.agent_id!r}, expires_at={self.expires_at:.0f})"


class TokenVault:
    def __init__(self, secrets: Secrets) -> None:
        self._secrets = secrets
        self._lock = threading.Lock()

    @property
    def secrets(self) -> Secrets:
        """The keyring the tokens live in (a revoke erases the agent's other secrets there)."""
        return self._secrets

    def save(self, result: LoginResult, *, now: float | None = None) -> StoredTokens:
        now = time.time() if now is None else now
        tokens = StoredTokens(
            agent_id=agent_key(result.agent_id),
            access_token=result.access_token,
            refresh_token=result.refresh_token,
            expires_at=now + result.expires_in_s,
        )
        body = json.dumps(
            {
                "access_token": tokens.access_token,
                "refresh_token": tokens.refresh_token,
                "expires_at": tokens.expires_at,
            }
        )
        with self._lock:
            self._secrets.set(_TOKENS.format(agent=tokens.agent_id), body)
            self._secrets.set(_LAST_AGENT, tokens.agent_id)
        return tokens

    def load(self, agent_id: str) -> StoredTokens | None:
        key = agent_key(agent_id)
        with self._lock:
            raw = self._secrets.get(_TOKENS.format(agent=key))
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            return StoredTokens(
                agent_id=key,
                access_token=str(data["access_token"]),
                refresh_token=str(data["refresh_token"]),
                expires_at=float(data["expires_at"]),
            )
        except (ValueError, KeyError, TypeError):
            return None

    def forget(self, agent_id: str) -> None:
        with self._lock:
            self._secrets.delete(_TOKENS.format(agent=agent_key(agent_id)))

    def last_agent(self) -> str | None:
        with self._lock:
            return self._secrets.get(_LAST_AGENT)
