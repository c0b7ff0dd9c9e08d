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


def test_a_desk_refreshing_its_labels_for_hours_does_not_abort() -> None:
    """Each void Qt call drops a reference to None; 300,000 are about an hour of a busy desk."""
    code = (
        "from agent_app.foundation import qt_compat\n"
        "qt_compat.apply()\n"
        "from PySide6.QtCore import QObject\n"
        "o = QObject()\n"
        "for i in range(300000):\n"
        "    o.setObjectName('x')\n"
        "print('ok')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "ok"


def test_without_the_workaround_void_calls_abort_the_interpreter() -> None:
    """The defect is still there: when a PySide6 upgrade fixes it, the pin can go."""
    code = (
        "from PySide6.QtCore import QObject\n"
        "o = QObject()\n"
        "for i in range(300000):\n"
        "    o.setObjectName('x')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode != 0
    assert "none_dealloc" in run.stderr
