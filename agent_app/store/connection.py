"""Opening a SQLCipher file with a raw key, and turning SQLite failures into named errors.

Every store file is opened here: raw 256-bit key (no per-open key derivation), WAL,
foreign keys, an in-memory temp store, SQLCipher's own logging silenced (it would
otherwise print to stderr). Transactions are explicit (``BEGIN IMMEDIATE``) so that each
public write is exactly one transaction, which is what makes a crash at any moment safe.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlcipher3

from agent_app.store.errors import (
    CorruptStoreError,
    DiskFullError,
    StoreError,
    StoreInUseError,
    WrongKeyError,
)

_KEY_HEX = re.compile(r"^[0-9a-f]{64}$")
# Page authentication: SQLCipher 4's default is HMAC-SHA512, and every file made before
# the cache's schema 2 uses it. SHA-256 authenticates a 4 KiB page about three times
# faster here (SHA extensions), which is what a cold page read costs a screen-pop; with
# a 256-bit key and a 256-bit tag it is as sound for page integrity. HMAC stays on.
HMAC_SHA512 = "HMAC_SHA512"
HMAC_SHA256 = "HMAC_SHA256"
_HMACS = (HMAC_SHA256, HMAC_SHA512)
DatabaseError = sqlcipher3.DatabaseError
Connection = sqlcipher3.Connection


class StoreIOError(StoreError):
    """The operating system refused a read or write (permissions, a vanished disk)."""


def _check_key(key_hex: str) -> None:
    # The key is spliced into a PRAGMA, so its shape is checked first; the message never
    # quotes it.
    if not _KEY_HEX.match(key_hex):
        raise ValueError("a store key must be 64 lowercase hex digits")


def classify(exc: Exception, label: str) -> StoreError:
    """The named error for a SQLite failure on the store called ``label``."""
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    if name == "SQLITE_NOTADB":
        return WrongKeyError(f"{label}: the key does not open the file (or its header is damaged)")
    if name.startswith("SQLITE_CORRUPT"):
        return CorruptStoreError(f"{label}: the file is damaged ({name})")
    if name == "SQLITE_FULL" or "disk is full" in str(exc):
        return DiskFullError(f"{label}: the disk is full; nothing was written")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StoreInUseError(f"{label}: the file is locked by another process ({name})")
    if name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PERM")):
        return StoreIOError(f"{label}: the operating system refused access ({name})")
    return StoreError(f"{label}: {type(exc).__name__} ({name or 'no code'})")


def open_encrypted(
    path: Path,
    key_hex: str,
    *,
    label: str,
    cache_mib: int = 8,
    synchronous: str = "NORMAL",
    hmac: str = HMAC_SHA512,
) -> sqlcipher3.Connection:
    """Open (or create) ``path`` with the raw key; raises :class:`WrongKeyError` etc.

    A new file is made with ``hmac``; an existing one is opened with whichever page HMAC
    it was made with (``hmac`` tried first), see :func:`page_hmac`.
    """
    _check_key(key_hex)
    for candidate in (hmac, *(h for h in _HMACS if h != hmac)):
        try:
            return _open(
                path, key_hex, label, cache_mib=cache_mib, synchronous=synchronous, hmac=candidate
            )
        except WrongKeyError:
            # SQLCipher cannot tell a wrong key from other cipher settings: only when
            # no setting opens the file is the key wrong (or the header damaged).
            continue
    raise WrongKeyError(f"{label}: the key does not open the file (or its header is damaged)")


def _open(
    path: Path, key_hex: str, label: str, *, cache_mib: int, synchronous: str, hmac: str
) -> sqlcipher3.Connection:
    if hmac not in _HMACS:
        raise ValueError(f"unsupported page HMAC {hmac!r}")
    try:
        conn = sqlcipher3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=5.0
        )
    except sqlcipher3.Error as exc:
        raise classify(exc, label) from None
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = \"x'{key_hex}'\"")
        conn.execute(f"PRAGMA cipher_hmac_algorithm = {hmac}")
        # The first read decrypts page 1: this is where a wrong key shows.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute(f"PRAGMA synchronous = {synchronous}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute(f"PRAGMA cache_size = {-1024 * cache_mib}")
    except sqlcipher3.Error as exc:
        conn.close()
        raise classify(exc, label) from None
    return conn


# SQLCipher reads an attached file's cipher settings from its process-wide defaults (an
# ATTACH cannot name them); the defaults are changed only for the moment of an ATTACH.
_DEFAULTS_LOCK = threading.Lock()


def attach_encrypted(
    conn: sqlcipher3.Connection,
    path: Path,
    key_hex: str | None,
    *,
    schema: str,
    label: str,
    cache_mib: int,
) -> None:
    """Attach ``path`` to ``conn`` as ``schema`` with its own page cache of ``cache_mib``.

    ``key_hex`` None attaches a plain SQLite file. The page HMAC is the one ``conn``'s
    own file uses (every connection opened here sets its own explicitly, so the brief
    change of the default affects no other).
    """
    if not re.fullmatch(r"[a-z_]+", schema):
        raise ValueError("schema names are lowercase letters")
    try:
        if key_hex is None:
            conn.execute(f"ATTACH DATABASE ? AS {schema} KEY ''", (str(path),))
        else:
            _check_key(key_hex)
            hmac = page_hmac(conn)
            with _DEFAULTS_LOCK:
                before = str(conn.execute("PRAGMA cipher_default_hmac_algorithm").fetchone()[0])
                conn.execute(f"PRAGMA cipher_default_hmac_algorithm = {hmac}")
                try:
                    conn.execute(
                        f"ATTACH DATABASE ? AS {schema} KEY \"x'{key_hex}'\"", (str(path),)
                    )
                finally:
                    conn.execute(f"PRAGMA cipher_default_hmac_algorithm = {before}")
        conn.execute(f"PRAGMA {schema}.cache_size = {-1024 * cache_mib}")
    except sqlcipher3.Error as exc:
        raise classify(exc, label) from None


def page_hmac(conn: sqlcipher3.Connection) -> str:
    """The page HMAC of the file open on ``conn`` (``HMAC_SHA256`` or ``HMAC_SHA512``)."""
    return str(conn.execute("PRAGMA cipher_hmac_algorithm").fetchone()[0])


def integrity_problems(conn: sqlcipher3.Connection, label: str) -> list[str]:
    """Pages that fail their HMAC, then SQLite's structural check; empty when sound."""
    try:
        problems = [str(row[0]) for row in conn.execute("PRAGMA cipher_integrity_check")]
        if not problems:
            rows = [str(row[0]) for row in conn.execute("PRAGMA quick_check")]
            problems = [] if rows == ["ok"] else rows
    except sqlcipher3.Error as exc:
        err = classify(exc, label)
        if isinstance(err, WrongKeyError | CorruptStoreError):
            return [str(err)]
        raise err from None
    # cipher_integrity_check names page numbers only, never content.
    return problems


def rekey(conn: sqlcipher3.Connection, new_key_hex: str, label: str) -> None:
    _check_key(new_key_hex)
    try:
        conn.execute(f"PRAGMA rekey = \"x'{new_key_hex}'\"")
    except sqlcipher3.Error as exc:
        raise classify(exc, label) from None


class Db:
    """One connection with a lock, so threads take turns; every write is one transaction."""

    def __init__(self, conn: sqlcipher3.Connection, label: str) -> None:
        self.conn = conn
        self.label = label
        self.lock = threading.RLock()

    def release_memory(self) -> None:
        """Give back the page cache's memory (pages not in use); the next reads decrypt again."""
        with self.lock:
            try:
                self.conn.execute("PRAGMA shrink_memory")
            except sqlcipher3.Error as exc:
                raise classify(exc, self.label) from None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlcipher3.Connection]:
        with self.lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlcipher3.Error as exc:
                raise classify(exc, self.label) from None
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException as exc:
                with contextlib.suppress(sqlcipher3.Error):
                    self.conn.execute("ROLLBACK")
                if isinstance(exc, sqlcipher3.Error):
                    raise classify(exc, self.label) from None
                raise

    def query(self, sql: str, params: Any = ()) -> list[Any]:
        with self.lock:
            try:
                rows: list[Any] = self.conn.execute(sql, params).fetchall()
                return rows
            except sqlcipher3.Error as exc:
                raise classify(exc, self.label) from None

    def close(self) -> None:
        with self.lock, contextlib.suppress(sqlcipher3.Error):
            self.conn.close()
