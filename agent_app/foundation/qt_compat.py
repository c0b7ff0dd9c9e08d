"""Workarounds for defects of the pinned Qt for Python release.

Each entry point that uses Qt calls :func:`apply` once, before any signal is emitted (the
app, the engine process, ``pulse-phone``, the test conftest). The one defect today: PySide6
6.12.0's ``SignalInstance.emit()`` drops a reference to ``True`` on every emit, which aborts
CPython 3.11 after a few hundred emits; the fix and why it is global:
docs/decisions/0017-pyside6-refcount-workarounds.md.
"""

from __future__ import annotations

import ctypes
import sys

# 2**40 emits at a million per second would take twelve days; shifts last hours.
_PIN = 1 << 40

_applied = False


def _emit_drops_a_reference() -> bool:
    from PySide6.QtCore import QObject, Signal

    class Probe(QObject):
        fired = Signal()

    probe = Probe()
    before = sys.getrefcount(True)
    probe.fired.emit()
    return sys.getrefcount(True) < before


def _pin_bool_singletons() -> None:
    for singleton in (True, False):
        # ob_refcnt is the first field of every CPython object.
        ctypes.c_ssize_t.from_address(id(singleton)).value += _PIN


def apply() -> bool:
    """Apply the workarounds this Qt release needs, once per process; True when one was."""
    global _applied  # noqa: PLW0603  (once per process by design)
    if _applied:
        return False
    _applied = True
    needed = _emit_drops_a_reference()
    if needed and sys.implementation.name == "cpython" and sys.version_info < (3, 12):
        _pin_bool_singletons()
        return True
    return False
