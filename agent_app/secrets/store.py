"""Secrets (SIP password, server tokens, cache keys) kept only in the OS keyring.

Pulse refuses to start on a keyring backend that would not protect a secret: the
fail and null backends of a headless machine, or any plaintext file backend. The
check runs at start-up so that IT gets a clear message naming what to install,
instead of a failure in the middle of a shift. Secret values never appear in an
exception message or a log line.

On Linux (keyring's Secret Service backend) the reads and writes go through one
connection and encrypted session kept for the life of the process
(:mod:`agent_app.secrets.service_session`): keyring itself would negotiate a new session
on every call, which is most of the time it takes to open the store. Other backends
(Windows Credential Manager, macOS Keychain) are used through keyring as they are.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import keyring
import keyring.backend
import keyring.errors

from agent_app.secrets.errors import InsecureKeyringError, SecretStoreError

if TYPE_CHECKING:
    from agent_app.secrets.protocols import Signer
    from agent_app.secrets.service_session import SecretServiceSession

SERVICE = "Pulse"

# Backends that exist to fail, do nothing, or write secrets in a readable file.
_REFUSED_MODULE_PREFIXES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")
_MIN_PRIORITY = 1.0


def _install_hint() -> str:
    if sys.platform == "win32":
        return "Pulse uses the Windows Credential Manager; check that the user profile is loaded."
    if sys.platform == "darwin":
        return "Pulse uses the macOS Keychain; check that the login keychain is unlocked."
    return (
        "Pulse needs a Secret Service on the session bus: install gnome-keyring "
        "(Debian: apt-get install gnome-keyring dbus-x11) or KWallet, and start Pulse "
        "inside a desktop session where it is unlocked."
    )


def _describe_backend(backend: Any) -> str:
    return f"{type(backend).__module__}.{type(backend).__name__}"


def _is_refused(backend: Any) -> bool:
    module = type(backend).__module__
    if module.startswith(_REFUSED_MODULE_PREFIXES):
        return True
    try:
        priority = float(backend.priority)
    except Exception:  # a backend whose priority raises is not usable here
        return True
    return priority < _MIN_PRIORITY


def check_backend(
    backend: keyring.backend.KeyringBackend | None = None,
) -> keyring.backend.KeyringBackend:
    """Return the backend Pulse will use, or raise :class:`InsecureKeyringError`."""
    backend = keyring.get_keyring() if backend is None else backend
    candidates = list(getattr(backend, "backends", None) or [backend])
    secure = [b for b in candidates if not _is_refused(b)]
    if not secure:
        names = ", ".join(_describe_backend(b) for b in candidates) or "none"
        raise InsecureKeyringError(
            f"no secure keyring backend is available (found: {names}). {_install_hint()}"
        )
    chosen: keyring.backend.KeyringBackend = secure[0]
    return chosen


def _is_secret_service(backend: Any) -> bool:
    cls = type(backend)
    return cls.__module__ == "keyring.backends.SecretService" and cls.__name__ == "Keyring"


class SecretStore:
    """Named secrets of this workstation's user, under the ``Pulse`` service.

    Safe to share between threads.
    """

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._backend = check_backend(backend)
        self._session: SecretServiceSession | None = None
        if _is_secret_service(self._backend):
            from agent_app.secrets.service_session import SecretServiceSession

            self._session = SecretServiceSession(self._backend)

    @property
    def backend_name(self) -> str:
        return _describe_backend(self._backend)

    @property
    def keeps_connection(self) -> bool:
        """True when secrets go through this process's own Secret Service session."""
        return self._session is not None

    def warm_up(self) -> None:
        """Make the keyring connection now (start-up), so later reads pay only the read.

        Raises :class:`SecretStoreError` when the keyring cannot be reached or is locked.
        A no-op for backends that keep no connection of their own.
        """
        if self._session is not None:
            self._session.warm_up()

    def close(self) -> None:
        """Close the keyring connection; a later call opens a new one."""
        if self._session is not None:
            self._session.close()

    def get(self, name: str) -> str | None:
        if self._session is not None:
            return self._session.get(SERVICE, name)
        try:
            return self._backend.get_password(SERVICE, name)
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(
                f"keyring read of '{name}' failed ({type(exc).__name__})"
            ) from None

    def set(self, name: str, value: str) -> None:
        if self._session is not None:
            self._session.set(SERVICE, name, value)
            return
        try:
            self._backend.set_password(SERVICE, name, value)
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(
                f"keyring write of '{name}' failed ({type(exc).__name__})"
            ) from None

    def device_signer(self) -> Signer | None:
        from agent_app.secrets.device_key import DeviceKey

        return DeviceKey.load(self)

    def delete(self, name: str) -> bool:
        """Remove a secret; False when there was none."""
        if self._session is not None:
            return self._session.delete(SERVICE, name)
        try:
            self._backend.delete_password(SERVICE, name)
        except keyring.errors.PasswordDeleteError:
            return False
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(
                f"keyring delete of '{name}' failed ({type(exc).__name__})"
            ) from None
        return True
