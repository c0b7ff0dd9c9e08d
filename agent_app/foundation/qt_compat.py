"""Workarounds for defects of the pinned Qt for Python release.

Each entry point that uses Qt calls :func:`apply` once, before any signal is emitted (the
app, the engine process, ``pulse-phone``, the test conftest). The defects today: PySide6
6.12.0's ``SignalInstance.emit()`` drops a reference to ``True`` on every emit, which aborts
CPython 3.11 after a few hundred emits, and every call of a Qt method returning void drops
one to ``None``; the fix and why it is global:
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


def _void_call_drops_none() -> bool:
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    probe.setObjectName("probe")
    return sys.getrefcount(None) < before


def _pin(*singletons: object) -> None:
    for singleton in singletons:
        # ob_refcnt is the first field of every CPython object.
        ctypes.c_ssize_t.from_address(id(singleton)).value += _PIN


def apply() -> bool:
    """Apply the workarounds this Qt release needs, once per process; True when one was."""
    global _applied  # noqa: PLW0603  (once per process by design)
    if _applied:
        return False
    _applied = True
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False  # the singletons are immortal there
    pinned = False
    if _emit_drops_a_reference():
        _pin(True, False)
        pinned = True
    # Every Qt method returning void drops a reference to None (QLabel.setText, a timer's
    # slot...): a desk that refreshes its clock once a second aborted after about six minutes.
    if _void_call_drops_none():
        _pin(None)
        pinned = True
    return pinned
