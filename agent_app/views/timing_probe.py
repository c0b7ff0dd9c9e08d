"""Start-up timestamps for the benchmarks; off unless ``PULSE_TIMING_PROBE`` names a file.

When it is set, each mark appends one JSON line ``{"mark": name, "t": seconds, "pid": pid}``
to that file, ``t`` on ``time.monotonic()`` (on Linux one clock for every process, so a
benchmark compares it with its own). Without it every function here does nothing. The
marks say nothing about the agent or a patient: only which step was reached, and when.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer, SignalInstance

ENV = "PULSE_TIMING_PROBE"


def enabled() -> bool:
    return bool(os.environ.get(ENV))


def mark(name: str) -> None:
    """Write the mark ``name`` now (nothing when the probe is off)."""
    path = os.environ.get(ENV)
    if not path:
        return
    line = json.dumps({"mark": name, "t": time.monotonic(), "pid": os.getpid()})
    with Path(path).open("a", encoding="utf-8") as probe:
        probe.write(line + "\n")


class _FirstFrame(QObject):
    def __init__(self, widget: QObject, name: str) -> None:
        super().__init__(widget)
        self._name = name

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            # After the paint pass that this event starts: the first frame is complete.
            QTimer.singleShot(0, lambda: mark(self._name))
        return False


def mark_first_frame(widget: QObject, name: str) -> None:
    """Mark ``name`` once ``widget`` has painted its first frame."""
    if enabled():
        widget.installEventFilter(_FirstFrame(widget, name))


def mark_when(signal: SignalInstance, name: str, condition: Callable[[Any], bool]) -> None:
    """Mark ``name`` the first time ``signal`` carries a value that meets ``condition``."""
    if not enabled():
        return
    done = False

    def check(value: Any) -> None:
        nonlocal done
        if not done and condition(value):
            done = True
            mark(name)

    signal.connect(check)
