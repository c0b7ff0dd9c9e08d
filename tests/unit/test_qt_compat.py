"""The PySide6 6.12.0 reference defects must not abort the interpreter once the workaround is on."""

from __future__ import annotations

import subprocess
import sys

APPLY = "from agent_app.foundation import qt_compat\nqt_compat.apply()\n"


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_thousands_of_emits_do_not_abort_the_interpreter() -> None:
    run = run_python(
        APPLY + "from PySide6.QtCore import QObject, Signal\n"
        "class P(QObject):\n"
        "    s = Signal(object)\n"
        "p = P()\n"
        "for i in range(20000):\n"
        "    p.s.emit(i)\n"
        "print('ok')\n"
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "ok"


VOID_CALLS = (
    "from PySide6.QtCore import QObject\n"
    "o = QObject()\n"
    "for i in range(300000):\n"
    "    o.setObjectName('x')\n"
)


def test_a_desk_refreshing_its_labels_for_hours_does_not_abort() -> None:
    """Each void Qt call drops a reference to None; 300,000 are about an hour of a busy desk."""
    run = run_python(APPLY + VOID_CALLS + "print('ok')\n")
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "ok"


def test_without_the_workaround_void_calls_abort_the_interpreter() -> None:
    """The defect is still there: when a PySide6 upgrade fixes it, the pin can go."""
    run = run_python(VOID_CALLS)
    assert run.returncode != 0
    assert "none_dealloc" in run.stderr
