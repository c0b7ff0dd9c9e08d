"""Passwords (argon2id) and opaque bearer tokens.

Tokens are random strings; only their SHA-256 is stored, so a leaked database cannot be replayed
and any token can be revoked by marking its session row.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane); settings may raise it.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Verified against when the username is unknown, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def configure_hasher(*, time_cost: int, memory_kib: int) -> None:
    """Set the cost of new hashes (existing hashes keep the parameters they were made with)."""
    global _hasher, _DUMMY_HASH  # noqa: PLW0603 (one hasher per process, set at start-up)
    if (_hasher.time_cost, _hasher.memory_cost) == (time_cost, memory_kib):
        return
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
    _DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
