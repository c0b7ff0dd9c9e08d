"""Emitting signals many times must not exhaust the bool singletons (PySide6 6.12.0)."""

from __future__ import annotations

import subprocess
import sys


def test_thousands_of_emits_do_not_abort_the_interpreter() -> None:
    code = (
        "from agent_app.foundation import qt_compat\n"
        "qt_compat.apply()\n"
        "from PySide6.QtCore import QObject, Signal\n"
        "class P(QObject):\n"
        "    s = Signal(object)\n"
        "p = P()\n"
        "for i in range(20000):\n"
        "    p.s.emit(i)\n"
        "print('ok')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "ok"
