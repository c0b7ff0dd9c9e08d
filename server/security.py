"""Passwords (argon2id), opaque bearer tokens, and the in-process login rate limiter.

Tokens are random strings; only their SHA-256 is stored, so a leaked database cannot be replayed
and any token can be revoked by marking its session row.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque

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


class RateLimiter:
    """Sliding one-minute window per key; thread-safe; per process (each worker counts apart)."""

    def __init__(self, per_minute: int, window_s: float = 60.0) -> None:
        self.per_minute = per_minute
        self.window_s = window_s
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float:
        """Record an attempt; return 0 when allowed, else the seconds until one is allowed."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= self.window_s:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return max(0.001, self.window_s - (now - hits[0]))
            hits.append(now)
            if len(self._hits) > 100_000:
                self._hits = {
                    k: v for k, v in self._hits.items() if v and now - v[-1] < self.window_s
                }
            return 0.0
