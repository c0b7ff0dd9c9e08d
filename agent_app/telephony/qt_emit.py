"""``safe_emit``: emit a Qt signal without PySide6 6.12.0's refcount bug.

PySide6 6.12.0's ``SignalInstance.emit()`` returns ``True`` without taking a reference,
so each emit from Python drops one reference to ``True``; after a few hundred to a few
thousand emits the interpreter aborts ("bool_dealloc: deallocating True or False").
The engine process and the client's Qt adapter emit once per engine event, so they go
through :func:`safe_emit`, which gives the reference back when (and only when) the
running PySide6 is found to have the bug.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal


class _Probe(QObject):
    fired = Signal()


def _emit_drops_a_reference() -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    probe.fired.emit()
    after = sys.getrefcount(True)
    if after < before:
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
        return True
    return False


EMIT_DROPS_A_REFERENCE = _emit_drops_a_reference()


def safe_emit(signal: Any, *args: Any) -> None:
    result = signal.emit(*args)
    if EMIT_DROPS_A_REFERENCE and isinstance(result, bool):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))
