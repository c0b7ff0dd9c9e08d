"""How the keyring fails; every message says what to do and never holds a secret."""

from __future__ import annotations


class SecretStoreError(Exception):
    """The keyring could not be used; the message says what to do, never a secret."""


class InsecureKeyringError(SecretStoreError):
    """No keyring backend that protects secrets is available."""


class KeyringLockedError(SecretStoreError):
    """The keyring collection is locked and no unlock prompt can be shown from here."""
