"""An agent's authenticated session: the access token in use, refreshed when the server says so.

Every authenticated call goes through :meth:`AuthSession.call`: a 401 triggers one refresh
(the refresh token rotates; the new pair goes to the keyring at once) and one retry. A refresh
that is refused means the agent must sign in again (:class:`NotSignedIn`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from agent_app.sync.api import ServerApi
from agent_app.sync.credentials import StoredTokens, TokenVault, agent_key
from agent_app.sync.errors import AuthExpired, NotSignedIn

log = logging.getLogger(__name__)
T = TypeVar("T")
_REFRESH_MARGIN_S = 30.0


class AuthSession:
    def __init__(self, api: ServerApi, vault: TokenVault, agent_id: str) -> None:
        self.api = api
        self.vault = vault
        self.agent_id = agent_key(agent_id)
        self._lock = threading.Lock()
        self._tokens: StoredTokens | None = None

    def _current(self) -> StoredTokens:
        if self._tokens is None:
            self._tokens = self.vault.load(self.agent_id)
        if self._tokens is None:
            raise NotSignedIn(f"no server tokens stored for agent {self.agent_id}")
        return self._tokens

    def access_token(self) -> str:
        with self._lock:
            tokens = self._current()
            if tokens.expires_at - _REFRESH_MARGIN_S < time.time():
                tokens = self._refresh_locked(tokens.access_token)
            return tokens.access_token

    def refresh(self, stale_access_token: str | None = None) -> None:
        with self._lock:
            self._refresh_locked(stale_access_token)

    def _refresh_locked(self, stale_access_token: str | None) -> StoredTokens:
        tokens = self._current()
        if stale_access_token is not None and tokens.access_token != stale_access_token:
            return tokens  # another thread refreshed meanwhile
        # Another process (the window and `pulse-agent sync`) may have rotated the pair.
        stored = self.vault.load(self.agent_id)
        if stored is not None and stored.refresh_token != tokens.refresh_token:
            self._tokens = stored
            if stored.expires_at - _REFRESH_MARGIN_S > time.time():
                return stored
            tokens = stored
        try:
            result = self.api.refresh(tokens.refresh_token)
        except AuthExpired:
            self._tokens = None
            raise NotSignedIn(f"the server refused the refresh for agent {self.agent_id}") from None
        log.info("access token refreshed for agent %s", self.agent_id)
        self._tokens = self.vault.save(result)
        return self._tokens

    def call(self, operation: Callable[[str], T]) -> T:
        token = self.access_token()
        try:
            return operation(token)
        except AuthExpired:
            self.refresh(token)
            return operation(self.access_token())
