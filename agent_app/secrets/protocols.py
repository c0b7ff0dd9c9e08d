"""What the desk asks of its secrets, whichever process holds them.

:class:`Secrets` is a named-secret store: the in-process keyring store
(:class:`agent_app.secrets.store.SecretStore`, for the command-line tools and the helper
itself) and the desk's client of the secrets helper process
(:class:`agent_app.secrets.helper_client.HelperSecrets`) both are one. :class:`Signer` is the
workstation's enrolled key as the sync layer uses it: a public half to show and signatures
to ask for, never the private half.
"""

from __future__ import annotations

from typing import Protocol


class Signer(Protocol):
    """The workstation's Ed25519 key, by its public half and the signatures it makes."""

    @property
    def public_key(self) -> str:
        """The public key, base64 of its 32 raw bytes."""
        ...

    def sign(self, message: bytes) -> str:
        """The signature of ``message``, base64. Raises ``SecretStoreError`` when the key
        cannot be read any more."""
        ...


class Secrets(Protocol):
    """Named secrets of this workstation's user; every failure is a ``SecretStoreError``."""

    @property
    def backend_name(self) -> str: ...

    def warm_up(self) -> None:
        """Reach the keyring now (start-up), so that a locked or absent one is said early."""
        ...

    def close(self) -> None:
        """Let go of the keyring connection; a later call makes a new one."""
        ...

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> bool:
        """Remove a secret; False when there was none."""
        ...

    def device_signer(self) -> Signer | None:
        """The enrolled workstation key, or None when this workstation has none."""
        ...
