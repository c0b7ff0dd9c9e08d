"""The audio thread's own event loop: one wake-up per pump while audio flows.

Under ``QThread.exec()`` every notification of Qt Multimedia's streams woke the thread
on top of the pump's ticks, at a fixed CPU cost per wake-up (the figures:
docs/decisions/0006-audio-thread-paced-loop-and-cpu-budget.md). While streams are open,
:class:`PacedThread` sleeps until the next pump tick and pumps; before every
``events_every``-th pump it handles what arrived meanwhile in one pass, so a request
waits at most that many ticks. Without streams the thread blocks in Qt's event
dispatcher like an ordinary event loop.

``deleteLater()`` from a slot or timer on this thread still deletes at the next pass;
the pump never calls it. The loop runs in Python for the thread's whole life, so Qt's
calls into Python here reuse one Python thread state.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QEventLoop, QThread

log = logging.getLogger(__name__)

_ALL = QEventLoop.ProcessEventsFlag.AllEvents
_WAIT = QEventLoop.ProcessEventsFlag.WaitForMoreEvents


class PacedWork(Protocol):
    """What :class:`PacedThread` drives (the audio worker)."""

    def boot(self) -> None:
        """Set up on the thread, before the loop starts."""

    def streaming(self) -> bool:
        """True while there are streams to pump."""

    def pump(self) -> None:
        """Move one tick's audio."""

    def stopping(self) -> bool:
        """True once the loop should end (set by a request handled on the thread)."""


@dataclass
class LoopCounts:
    """What the loop did so far (a plain object: attribute updates on a Qt object cost
    several times more, on every tick)."""

    wakeups: int = 0
    """Passes of the loop (for measurements: wake-ups of the thread)."""
    late_pumps: int = 0
    """Pumps more than a whole period late (the next tick was then re-based)."""
    failed_pumps: int = 0
    """Pumps that raised."""
    nudged_pumps: int = 0
    """Extra pumps between ticks, asked for by :meth:`PacedThread.nudge`."""


class PacedThread(QThread):
    """Runs ``work`` on a thread of its own, pumping every ``period_s`` while it streams.

    While streaming, pending events are handled before every ``events_every``-th pump:
    a request then waits at most that many periods.
    """

    def __init__(
        self, work: PacedWork, *, name: str, period_s: float, events_every: int = 1
    ) -> None:
        super().__init__()
        self.setObjectName(name)
        self._work = work
        self._period = period_s
        self._events_every = max(1, events_every)
        self.counts = LoopCounts()
        self._wake = threading.Lock()
        """Held while nobody has asked for an early pump: the loop sleeps by waiting for
        it (a timed acquire), and :meth:`nudge` releases it."""
        self._wake.acquire()

    def nudge(self) -> None:
        """Pump now rather than at the next tick (any thread; cheap; idempotent).

        The media clock asks when the microphone's block is a little late: the data may
        already be waiting in Qt's capture buffer. The next tick stays on the grid.
        """
        with contextlib.suppress(RuntimeError):  # already asked for, not yet served
            self._wake.release()

    def run(self) -> None:
        work = self._work
        try:
            work.boot()
        except Exception:
            # As a failing slot under exec(): reported, and the thread still answers
            # requests (a shutdown above all) instead of vanishing.
            log.exception("audio thread set-up failed")
        # An event loop object of this thread, never exec()'d: only its processEvents().
        # PySide6 6.12's static QCoreApplication.processEvents/sendPostedEvents take a
        # reference to None on every call that they never gave (measured: -1 per call;
        # None is deallocated and the process aborts after a minute at 100 calls a
        # second); the QEventLoop method does not.
        events = QEventLoop()
        counts = self.counts
        while not work.stopping():
            counts.wakeups += 1
            if work.streaming():
                self._stream(events.processEvents)
            else:
                events.processEvents(_WAIT)

    def _stream(self, process: Callable[[QEventLoop.ProcessEventsFlag], bool]) -> None:
        """Pump on a fixed grid until the streams close or the thread is asked to stop.

        Only the event passes can change either (requests and timers arrive through
        them), so the ticks between them run nothing but the pump. Everything used per
        tick is a local name: on this path each attribute lookup is paid 100 times a
        second with cold caches.
        """
        work, counts, period, every = self._work, self.counts, self._period, self._events_every
        stopping, streaming, work_pump = work.stopping, work.streaming, work.pump
        failed, sleep, monotonic = self._failed, self._wake.acquire, time.monotonic

        def pump() -> None:
            try:
                work_pump()
            except Exception:
                failed()

        tick = monotonic()
        due = 0
        while True:
            if due <= 0:
                due = every
                process(_ALL)
                if stopping() or not streaming():
                    return
            due -= 1
            pump()
            # A fixed grid, as Qt's precise timers keep: a pump a few ms late does not
            # shift the next one; one later than a whole period is not followed by a
            # burst of catch-up pumps.
            tick += period
            delay = tick - monotonic()
            if delay < 0:
                counts.late_pumps += 1
                tick = monotonic() + period
                delay = period
            # Sleeping is a timed wait for the wake lock: a nudge ends it early for one
            # extra pump, and the sleep goes on to the same tick.
            while delay > 0 and sleep(True, delay):
                counts.nudged_pumps += 1
                pump()
                delay = tick - monotonic()
            counts.wakeups += 1

    def _failed(self) -> None:
        """As under exec(): a failed pump is reported (from its ``except`` block) and the
        audio goes on; a pump that keeps failing is reported at the 1st, 2nd, 4th, 8th...
        time, not 100 times a second."""
        counts = self.counts
        counts.failed_pumps += 1
        if counts.failed_pumps & (counts.failed_pumps - 1) == 0:
            log.exception("audio pump failed (%d so far)", counts.failed_pumps)
