"""Loading the phone index and the row page cache of a cache reader before the first lookup."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import sqlcipher3

from agent_app.store.cache_lookup import ROW_CACHE_PAGES, ROWS
from agent_app.store.connection import classify

# Entries of the phone index read per step when it is loaded into the reader's page
# cache (about 75 pages, well under a millisecond): lookups interleave with the load.
_WARM_STEP = 20_000
_WARM_NEXT = "SELECT e164 FROM patient_phones WHERE e164 > ? ORDER BY e164 LIMIT 1 OFFSET ?"
_WARM_TAIL = "SELECT count(*) FROM patient_phones WHERE e164 > ?"
_ROW_PROBE = f"SELECT length(phones) FROM {ROWS}.patients WHERE pk = ?"  # noqa: S608


def warm_phone_index(
    conn: sqlcipher3.Connection,
    lock: contextlib.AbstractContextManager[Any] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Read every page of the phone index on ``conn``; return the entries read.

    See :meth:`agent_app.store.cache_reader.CacheReader.warm_lookup_index`.
    """
    guard = lock if lock is not None else contextlib.nullcontext()
    last, read = -1, 0
    while stop is None or not stop.is_set():
        with guard:
            try:
                row = conn.execute(_WARM_NEXT, (last, _WARM_STEP)).fetchone()
                if row is None:
                    tail = conn.execute(_WARM_TAIL, (last,)).fetchone()
                    return read + int(tail[0])
            except sqlcipher3.Error as exc:
                raise classify(exc, "cache") from None
        last, read = row[0], read + _WARM_STEP + 1
    return read


def warm_row_cache(
    conn: sqlcipher3.Connection,
    lock: contextlib.AbstractContextManager[Any] | None = None,
    stop: threading.Event | None = None,
    *,
    rows: int = ROW_CACHE_PAGES,
) -> int:
    """Read ``rows`` patient rows spread over the table through :data:`ROWS`.

    This loads the row table's interior pages and fills the small row page cache, so
    the memory behind it is in place before the first screen-pop (a page cache that
    still grows costs a lookup a page fault or two); return the rows read.
    """
    guard = lock if lock is not None else contextlib.nullcontext()
    with guard:
        try:
            top = conn.execute(f"SELECT max(pk) FROM {ROWS}.patients").fetchone()[0]  # noqa: S608
        except sqlcipher3.Error as exc:
            raise classify(exc, "cache") from None
    if not top:
        return 0
    stride = max(1, int(top) // rows)
    read = 0
    for start in range(1, int(top) + 1, stride * 100):
        if stop is not None and stop.is_set():
            break
        keys = [(pk,) for pk in range(start, min(start + stride * 100, int(top) + 1), stride)]
        with guard:
            try:
                for key in keys:
                    conn.execute(_ROW_PROBE, key).fetchone()
            except sqlcipher3.Error as exc:
                raise classify(exc, "cache") from None
        read += len(keys)
    return read
