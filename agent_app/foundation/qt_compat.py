"""Workarounds for defects of the pinned Qt for Python release, applied on import.

PySide6 6.12.0's ``SignalInstance.emit()`` returns ``True`` without taking a reference,
so every emit from Python code drops one reference to ``True``; after a few hundred
emits CPython 3.11 aborts with "bool_dealloc: deallocating True or False". Wrapping
each emit cannot cover signals emitted by code we do not own, so the fix is global:
when a probe emit shows the defect, the two bool singletons get a reference count
so large that no process lifetime can exhaust it (what CPython 3.12 does for them by
design: they are immortal there). Releases without the defect are left untouched.

Every module that imports PySide6 and emits signals imports this module first.
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
