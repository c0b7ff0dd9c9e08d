"""Workarounds for defects of the pinned Qt for Python release, applied on import.

PySide6 6.12.0's ``SignalInstance.emit()`` drops a reference to ``True`` on every emit,
until CPython 3.11 aborts ("bool_dealloc"). When a probe emit shows the defect, the two
bool singletons get a reference count no process lifetime can exhaust (immortal, as in
CPython 3.12); releases without it are left untouched. Every module that imports PySide6
and emits signals imports this module first
(docs/decisions/0017-pyside6-refcount-workarounds.md).
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

# 2**40 emits at a million per second would take twelve days; shifts last hours.
_PIN = 1 << 40


class _Probe(QObject):
    fired = Signal()


def _emit_drops_a_reference() -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    probe.fired.emit()
    return sys.getrefcount(True) < before


def _pin_bool_singletons() -> None:
    for singleton in (True, False):
        # ob_refcnt is the first field of every CPython object.
        ctypes.c_ssize_t.from_address(id(singleton)).value += _PIN


EMIT_DROPS_A_REFERENCE = _emit_drops_a_reference()
if EMIT_DROPS_A_REFERENCE and sys.implementation.name == "cpython" and sys.version_info < (3, 12):
    _pin_bool_singletons()
