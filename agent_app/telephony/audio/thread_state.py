"""Keeping a Python thread state alive on a thread Python did not create.

Qt and pjsua2 call into Python on their own threads through ``PyGILState_Ensure`` /
``Release``: when a callback returns, the thread state it created is destroyed, and the
next callback creates a new one (measured: a ``gettid`` and a 16 KiB ``mmap``/``munmap``
of a fresh frame stack each time, 200 times a second on pjsua2's media clock thread).
See docs/decisions/0007-pinned-python-thread-states.md.
"""

from __future__ import annotations

import ctypes


class PinnedThreadState:
    """One extra ``PyGILState_Ensure`` on the current thread, held until :meth:`release`.

    While it is held, every callback on this thread reuses the same thread state.
    :meth:`release` must run on the same thread, before the thread ends.
    """

    def __init__(self) -> None:
        self._api = ctypes.pythonapi
        self._api.PyGILState_Ensure.restype = ctypes.c_int
        self._api.PyGILState_Release.argtypes = (ctypes.c_int,)
        self._state: int | None = self._api.PyGILState_Ensure()

    def release(self) -> None:
        if self._state is not None:
            state, self._state = self._state, None
            self._api.PyGILState_Release(state)
