"""Workarounds for defects of the pinned Qt for Python release.

Each entry point that uses Qt calls :func:`apply` once, before any signal is emitted (the
app, the engine process, ``pulse-phone``, the test conftest). The defects today:

- PySide6 6.12.0's ``SignalInstance.emit()`` drops a reference to ``True`` on every emit,
  which aborts CPython 3.11 after a few hundred emits, and every call of a Qt method
  returning void drops one to ``None``; the fix and why it is global:
  docs/decisions/0017-pyside6-refcount-workarounds.md;
- its import hook reads the whole source of every module imported after PySide6 through
  ``linecache``, which keeps it for the life of the process (tens of MiB in the desk):
  docs/decisions/0041-pyside6-source-scan.md.
"""

from __future__ import annotations

import ctypes
import linecache
import sys
from pathlib import Path
from types import ModuleType

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


def _mentions_pyside(module: ModuleType) -> bool:
    """The import hook's question (does this module's source name PySide6?), read from the
    file without keeping it: a module with no source file is not one that uses PySide6."""
    path = getattr(module, "__file__", None)
    if not isinstance(path, str) or not path.endswith(".py"):
        return False
    try:
        return b"PySide6" in Path(path).read_bytes()
    except OSError:
        return False


def _stop_source_caching() -> bool:
    import PySide6.QtCore  # noqa: F401  (installs the import hook and its feature module)

    feature = sys.modules.get("PySide6.support.feature")
    if feature is None or not hasattr(feature, "_mod_uses_pyside"):
        return False  # a release without the hook's source scan
    # A module PySide6 builds at run time: no stub names its attribute.
    setattr(feature, "_mod_uses_pyside", _mentions_pyside)  # noqa: B010
    linecache.clearcache()  # what the hook read before this point
    return True


def apply() -> bool:
    """Apply the workarounds this Qt release needs, once per process; True when one was."""
    global _applied  # noqa: PLW0603  (once per process by design)
    if _applied:
        return False
    _applied = True
    uncached = _stop_source_caching()
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return uncached  # the singletons are immortal there
    pinned = uncached
    if _emit_drops_a_reference():
        _pin(True, False)
        pinned = True
    # Every Qt method returning void drops a reference to None (QLabel.setText, a timer's
    # slot...): a desk that refreshes its clock once a second aborted after about six minutes.
    if _void_call_drops_none():
        _pin(None)
        pinned = True
    return pinned
