"""safe_emit keeps the interpreter's bool reference counts intact across many emits."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

from agent_app.telephony.qt_emit import safe_emit


class _Source(QObject):
    fired = Signal(object)


def test_many_emits_do_not_eat_references_to_true(qapp: object) -> None:
    source = _Source()
    received: list[object] = []
    source.fired.connect(received.append)
    before = sys.getrefcount(True)
    for i in range(3000):
        safe_emit(source.fired, i)
    assert len(received) == 3000
    assert sys.getrefcount(True) >= before - 5
