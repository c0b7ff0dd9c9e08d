"""SIGTERM and SIGINT end the Qt event loop through Python code (the clean-up runs)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

# The program under test: waits in Qt's event loop with nothing else to wake Python.
PROGRAM = """
import sys
from PySide6.QtCore import QCoreApplication
from agent_app.views.termination import QuitOnSignal
app = QCoreApplication([])
guard = QuitOnSignal(app)
guard.install()
print("waiting", flush=True)
if sys.argv[1:] == ["late"]:
    __import__("time").sleep(1)  # the signal comes before the loop runs
code = guard.exec(app)
guard.uninstall()
print(f"clean-up ran after signal {guard.received}", flush=True)
sys.exit(code)
"""


@pytest.mark.parametrize(
    ("signum", "when"),
    [(signal.SIGTERM, "in the loop"), (signal.SIGINT, "in the loop"), (signal.SIGTERM, "late")],
)
def test_a_signal_quits_the_event_loop_and_the_clean_up_runs(signum: int, when: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", PROGRAM, *(["late"] if when == "late" else [])],
        stdout=subprocess.PIPE,
        text=True,
        env={"QT_QPA_PLATFORM": "offscreen", **os.environ},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "waiting"
    proc.send_signal(signum)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 128 + signum
    assert out.strip() == f"clean-up ran after signal {signum}"
