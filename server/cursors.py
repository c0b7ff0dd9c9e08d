"""Opaque sync cursors: signed, base64url, bound to one agent and one feed.

A cursor is either a snapshot position (``m="s"``: the high-water seq the snapshot started at and
the last id sent) or a delta position (``m="d"``: every change up to ``(seq, id)`` was sent).
A cursor that fails its signature, belongs to someone else, is older than the configured age or
older than the purge horizon is "gone" (410): the client restarts with a full snapshot.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass


class CursorGone(Exception):
    """The cursor is unknown, foreign, tampered with or too old."""


@dataclass(frozen=True)
class Cursor:
    mode: str  # "s" snapshot, "d" delta
    seq: int  # snapshot: high-water seq; delta: last seq sent
    after: str  # last id sent at that seq ("" = none)
    issued: int = 0


class CursorCodec:
    def __init__(self, key: bytes, max_age_s: float) -> None:
        self._key = hashlib.sha256(b"pulse-cursor:" + key).digest()
        self.max_age_s = max_age_s

    def encode(self, cursor: Cursor, *, user_id: str, feed: str) -> str:
        body = json.dumps(
            {"m": cursor.mode, "s": cursor.seq, "a": cursor.after, "t": int(time.time())},
            separators=(",", ":"),
        ).encode()
        mac = hmac.new(self._key, body + f"|{user_id}|{feed}".encode(), hashlib.sha256).digest()[
            :16
        ]
        return base64.urlsafe_b64encode(mac + body).decode().rstrip("=")

    def decode(self, token: str, *, user_id: str, feed: str, horizon: int) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, TypeError) as exc:
            raise CursorGone("cursor is not readable") from exc
        mac, body = raw[:16], raw[16:]
        want = hmac.new(self._key, body + f"|{user_id}|{feed}".encode(), hashlib.sha256).digest()
        if len(mac) != 16 or not hmac.compare_digest(mac, want[:16]):
            raise CursorGone("cursor is unknown")
        try:
            data = json.loads(body)
            cursor = Cursor(str(data["m"]), int(data["s"]), str(data["a"]), int(data["t"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise CursorGone("cursor is unknown") from exc
        if cursor.mode not in ("s", "d"):
            raise CursorGone("cursor is unknown")
        if time.time() - cursor.issued > self.max_age_s:
            raise CursorGone("cursor is too old")
        if cursor.seq < horizon:
            raise CursorGone("cursor is older than the retained history")
        return cursor
