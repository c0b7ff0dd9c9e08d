"""What a sign-in produces, and how it fails, shared by the login dialog and the clients."""

from __future__ import annotations

from dataclasses import dataclass


class LoginError(Exception):
    """A sign-in that did not succeed; the message is written for the agent."""


class PasswordChangeNeeded(LoginError):
    """The password was right but an administrator reset it: a new one must be chosen."""


@dataclass(frozen=True)
class LoginResult:
    agent_id: str
    display_name: str
    role: str
    access_token: str
    refresh_token: str
    expires_in_s: int
    offline: bool = False

    def __repr__(self) -> str:  # tokens never reach a log line or a traceback
        return (
            f"LoginResult(agent_id={self.agent_id!r}, role={self.role!r}, offline={self.offline})"
        )
