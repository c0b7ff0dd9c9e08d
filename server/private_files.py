"""Files only the server's account may read (the signing key, the SQLite database), created
owner-only from their first byte: never written first and tightened after."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

PRIVATE = 0o600


def create_private(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless it exists; False when another process made it first.

    A complete private temporary file is linked into place, so a reader never sees a partial
    file and several workers starting at once agree on one content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        return True
    finally:
        temporary.unlink(missing_ok=True)


def replace_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (replacing it) through an owner-only temporary file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def ensure_private_file(path: Path) -> None:
    """Create an empty owner-only file at ``path`` if there is none (SQLite then opens it, and
    gives its journal files the same mode)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))


__all__ = ["PRIVATE", "create_private", "ensure_private_file", "replace_private"]
