"""Agents' SIP passwords at rest: AES-256-GCM under a key of the server's own.

The server must give the password back to the agent's workstation (it is the PBX account's
secret, not a login the server checks), so it cannot keep a hash: it keeps ciphertext. The key
is the ``sip_secret_key`` setting (64 hex digits, for example from
``PULSE_SERVER_SIP_SECRET_KEY``) or, when that is empty, ``sip-secrets.key`` in the data
directory, made on first use readable by its owner only. Every server process that shares one
database must use the same key; a key that is lost makes the stored passwords unreadable, and
the extensions must then be assigned again.

Each ciphertext is bound to its user id (associated data), so a row copied onto another user
does not decrypt, and carries the id of its key, so a wrong key is named as such instead of
looking like damage.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
import threading
from pathlib import Path

from server.settings import ServerSettings

log = logging.getLogger("pulse.server.sip_secrets")

KEY_FILE = "sip-secrets.key"
_NONCE_BYTES = 12
_KEY_BYTES = 32


class SecretKeyError(RuntimeError):
    """The SIP secret key cannot be read or made, or does not open a stored password.

    Messages name files and key ids, never a key or a password."""


def key_id(key: bytes) -> str:
    """A short public name of a key (not usable to recover it)."""
    return hashlib.sha256(b"pulse-sip-key-id:" + key).hexdigest()[:16]


def _aad(user_id: str) -> bytes:
    return b"pulse-sip-password:" + user_id.encode("utf-8")


class SipSecretBox:
    """Encrypts and decrypts SIP passwords; the key is loaded (or made) on first use."""

    def __init__(self, settings: ServerSettings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._key: bytes | None = None

    @property
    def key_path(self) -> Path:
        return self._settings.resolved_data_dir() / KEY_FILE

    def _current_key(self) -> bytes:
        with self._lock:
            if self._key is None:
                if self._settings.sip_secret_key:
                    self._key = bytes.fromhex(self._settings.sip_secret_key)
                else:
                    self._key = load_or_create_key(self.key_path)
            return self._key

    def current_key_id(self) -> str:
        return key_id(self._current_key())

    def encrypt(self, password: str, *, user_id: str) -> tuple[str, str]:
        """(base64 of nonce and ciphertext, key id) of ``password`` for ``user_id``."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        key = self._current_key()
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(key).encrypt(nonce, password.encode("utf-8"), _aad(user_id))
        return base64.b64encode(nonce + sealed).decode("ascii"), key_id(key)

    def decrypt(self, ciphertext: str, stored_key_id: str, *, user_id: str) -> str:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        key = self._current_key()
        if stored_key_id != key_id(key):
            raise SecretKeyError(
                f"the SIP password of user {user_id} was encrypted under key {stored_key_id}, "
                f"but this server holds key {key_id(key)}: restore that key "
                "(sip_secret_key or the key file) or assign the extension again"
            )
        try:
            raw = base64.b64decode(ciphertext.encode("ascii"), validate=True)
            plain = AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _aad(user_id))
        except (ValueError, InvalidTag):
            raise SecretKeyError(
                f"the stored SIP password of user {user_id} does not decrypt (damaged row); "
                "assign the extension again"
            ) from None
        return plain.decode("utf-8")


def load_or_create_key(path: Path) -> bytes:
    """Read the key file, or make it (owner-only) when there is none.

    Several processes may start at once: each writes a complete private temporary file and
    links it into place; a link refused because the file now exists means another process
    won, and its key is the one read back.
    """
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(os.urandom(_KEY_BYTES).hex() + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
            else:
                log.info("made a new SIP secret key in %s", path)
        finally:
            temporary.unlink(missing_ok=True)
    except OSError as exc:
        raise SecretKeyError(
            f"cannot make the SIP secret key file {path}: {exc.strerror}"
        ) from None
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretKeyError(f"cannot read the SIP secret key file {path}: {exc}") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != _KEY_BYTES:
        raise SecretKeyError(f"the SIP secret key file {path} does not hold 64 hex digits")
    if os.name == "posix" and path.stat().st_mode & 0o077:
        log.warning("the SIP secret key file %s is readable by others: chmod 600 it", path)
    return key
