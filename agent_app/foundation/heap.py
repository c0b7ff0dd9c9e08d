"""Keeps a long-running desk process's heap small and its garbage collection short.

glibc's allocator keeps memory it got for a burst (a snapshot written to the cache, the
cache's page check on a thread of its own) for reuse, and counts it against the process
for the rest of the shift; :func:`trim` asks it to return the free pages (elsewhere, no
glibc, it does nothing). :func:`settle` takes what start-up built out of the cyclic
collector's reach.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import sys
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
    return trim


def trim() -> None:
    """Return the allocator's free pages to the system (all of its arenas)."""
    malloc_trim = _malloc_trim()
    if malloc_trim is not None:
        malloc_trim(0)


def settle() -> None:
    """After start-up: what is alive now (modules, the window, the store) lives for the shift.

    One full collection, then :func:`gc.freeze` moves what survived out of the collector's
    reach: later full collections walk only what came after (a full collection of the
    signed-in desk held its GUI thread for 20-80 ms, measured; one during a ring delays the
    patient's card), and reference counting still frees what is dropped.
    """
    gc.collect()
    gc.freeze()
    trim()
