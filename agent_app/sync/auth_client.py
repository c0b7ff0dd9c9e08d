"""Signs an agent in against the central server, or offline against the last sign-in's verifier.

On success online, the tokens go to the keyring, the offline verifier is renewed and the
server's clock offset is measured. When the server cannot be reached (network, timeout,
5xx, garbage), the offline verifier decides, and the result says ``offline=True`` so the
window can say so plainly. A 423 with ``wipe`` from the server erases the local cache and
this workstation's verifier and tokens for that agent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from agent_app.sync.api import ServerApi
from agent_app.sync.credentials import TokenVault
from agent_app.sync.errors import (
    AuthExpired,
    DeviceRevoked,
    NotEnrolled,
    PasswordChangeRequired,
    RateLimited,
    RequestRejected,
    ServerUnreachable,
    SyncError,
)
from agent_app.sync.login import LoginError, LoginResult, PasswordChangeNeeded
from agent_app.sync.offline_login import OfflineVerifier
from agent_app.sync.version_policy import check_minimum

log = logging.getLogger(__name__)


class ServerAuthenticator:
    """The ``authenticate(agent_id, password)`` callable of the login dialog."""

    def __init__(
        self,
        api: ServerApi,
        *,
        vault: TokenVault | None = None,
        verifier: OfflineVerifier | None = None,
        on_wipe: Callable[[str], None] | None = None,
    ) -> None:
        self.api = api
        self.vault = vault
        self.verifier = verifier
        self._on_wipe = on_wipe

    def __call__(self, agent_id: str, password: str) -> LoginResult:
        return self._online(agent_id, password, lambda: self.api.login(agent_id, password))

    def change_password(self, agent_id: str, password: str, new_password: str) -> LoginResult:
        """Sign in with the password an administrator set and replace it (online only)."""
        return self._online(
            agent_id,
            new_password,
            lambda: self.api.change_password(agent_id, password, new_password),
            offline=False,
        )

    def _online(
        self,
        agent_id: str,
        password: str,
        request: Callable[[], LoginResult],
        *,
        offline: bool = True,
    ) -> LoginResult:
        try:
            # Asked before the password is sent: a desk older than the server serves stops
            # here with "Update required" instead of failing later on an API it lacks.
            check_minimum(self.api.min_desk_version())
            result = request()
        except RateLimited:
            raise LoginError("Too many attempts. Wait a minute and try again.") from None
        except ServerUnreachable as exc:
            log.warning("login: server unreachable (%s)", exc)
            if not offline:
                raise LoginError(f"Cannot reach the server at {self.api.base_url}.") from None
            return self._offline(agent_id, password)
        except AuthExpired:
            raise LoginError("Agent ID or password is not correct.") from None
        except NotEnrolled:
            raise LoginError(
                "This workstation is not enrolled: ask IT for an enrolment code."
            ) from None
        except PasswordChangeRequired:
            raise PasswordChangeNeeded(
                "Your password was reset. Choose a new password to sign in."
            ) from None
        except DeviceRevoked as exc:
            if exc.wipe:
                self._wipe(agent_id)
                raise LoginError(
                    "This workstation was revoked by your administrator; its local data was "
                    "erased. Tell IT."
                ) from None
            raise LoginError(
                "This account or workstation is locked. Wait a few minutes, or ask your "
                "team lead to unlock it."
            ) from None
        except RequestRejected as exc:
            log.warning("login: refused with HTTP %d", exc.status)
            raise LoginError(f"The server refused the sign-in (HTTP {exc.status}).") from None
        self._remember(result, password)
        return result

    def _offline(self, agent_id: str, password: str) -> LoginResult:
        if self.verifier is None:
            raise LoginError(f"Cannot reach the server at {self.api.base_url}.")
        result = self.verifier.unlock(agent_id, password)
        log.info("agent %s unlocked offline", result.agent_id)
        return result

    def _remember(self, result: LoginResult, password: str) -> None:
        if self.vault is not None:
            self.vault.save(result)
        if self.verifier is not None:
            self.verifier.remember(result, password)
        try:
            self.api.measure_time()
        except SyncError as exc:
            log.info("server time not measured at sign-in (%s)", type(exc).__name__)

    def _wipe(self, agent_id: str) -> None:
        log.warning("device revoked at sign-in; wiping local data of agent %s", agent_id)
        if self.vault is not None:
            self.vault.forget(agent_id)
        if self.verifier is not None:
            self.verifier.forget(agent_id)
        if self._on_wipe is not None:
            self._on_wipe(agent_id)
