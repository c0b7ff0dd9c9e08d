"""Named failures of the central-server client, one per recovery.

Each class says what the engine does next: :class:`ServerUnreachable` means "offline,
retry later with backoff"; :class:`AuthExpired` means "refresh the token, then retry";
:class:`DeviceRevoked` means "wipe the cache"; :class:`CursorGone` means "start a new
snapshot". Messages carry status codes and record ids, never patient data or secrets.
"""

from __future__ import annotations


class SyncError(Exception):
    """Base of every sync failure."""


class ServerUnreachable(SyncError):
    """The network, a timeout, a 5xx or an unreadable answer: the server is not usable now."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RateLimited(ServerUnreachable):
    """429: the server asked us to slow down (``retry_after_s`` from Retry-After)."""


class AuthExpired(SyncError):
    """401: the access token (or the refresh token) is no longer accepted."""


class NotEnrolled(SyncError):
    """403 at sign-in: this workstation is not enrolled (IT gives it an enrolment code)."""


class PasswordChangeRequired(SyncError):
    """403 at sign-in: the password was reset by an administrator and must be replaced."""


class NotSignedIn(SyncError):
    """No tokens are stored for this agent on this workstation."""


class DeviceRevoked(SyncError):
    """423: the account is locked or this workstation was revoked."""

    def __init__(self, message: str, *, wipe: bool) -> None:
        super().__init__(message)
        self.wipe = wipe


class CursorGone(SyncError):
    """410: the feed cursor is too old or unknown; a full snapshot is needed."""


class RequestRejected(SyncError):
    """A 4xx for a whole request that retrying will not fix (the reason is the server's)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"HTTP {status}: {reason}")
        self.status = status
        self.reason = reason
