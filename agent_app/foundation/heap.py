"""Gives freed heap memory back to the system after a large, one-off piece of work.

glibc's allocator keeps memory it got for a burst (a snapshot written to the cache, the
cache's page check on a thread of its own) for reuse, and counts it against the process
for the rest of the shift; :func:`trim` asks it to return the free pages. Elsewhere (no
glibc) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
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
