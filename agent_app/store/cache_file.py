"""Opening a cache file's writer connection, converting a file with older page HMACs once."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from pathlib import Path

import sqlcipher3

from agent_app.store.connection import HMAC_SHA256, classify, open_encrypted, page_hmac

log = logging.getLogger(__name__)

CACHE_HMAC = HMAC_SHA256
"""Page HMAC of cache files; a file made before it is converted once when opened."""


def open_cache(path: Path, key_hex: str, *, cache_mib: int) -> sqlcipher3.Connection:
    """The writer connection; a file from before :data:`CACHE_HMAC` is converted first."""
    conn = open_encrypted(path, key_hex, label="cache", cache_mib=cache_mib, hmac=CACHE_HMAC)
    if page_hmac(conn) == CACHE_HMAC:
        return conn
    try:
        _convert(conn, path, key_hex)
    finally:
        conn.close()
    return open_encrypted(path, key_hex, label="cache", cache_mib=cache_mib, hmac=CACHE_HMAC)


def _convert(conn: sqlcipher3.Connection, path: Path, key_hex: str) -> None:
    """Rewrite the file with :data:`CACHE_HMAC` pages: export to a copy, then swap it in.

    A crash before the swap leaves the old file whole (the copy is discarded and the
    conversion redone at the next open); ``os.replace`` makes the swap atomic.
    """
    copy = path.with_name(path.name + ".convert")
    for side in ("", "-journal", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            copy.with_name(copy.name + side).unlink()
    started = time.monotonic()
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        # The key has been checked to be 64 hex digits by open_encrypted.
        conn.execute(f"ATTACH DATABASE ? AS converted KEY \"x'{key_hex}'\"", (str(copy),))
        conn.execute(f"PRAGMA converted.cipher_hmac_algorithm = {CACHE_HMAC}")
        conn.execute("SELECT sqlcipher_export('converted')").fetchall()
        conn.execute(f"PRAGMA converted.user_version = {version}")
        conn.execute("DETACH DATABASE converted")
    except sqlcipher3.Error as exc:
        raise classify(exc, "cache") from None
    fd = os.open(copy, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    conn.close()
    for side in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + side).unlink()
    copy.replace(path)
    if hasattr(os, "O_DIRECTORY"):
        fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    log.info(
        "cache converted to %s page authentication in %.1f s",
        CACHE_HMAC,
        time.monotonic() - started,
    )
