"""Runs blocking work off the UI thread and hands the outcome back on it.

The shape of Anki's ``QueryOp``: the work function never touches a widget; the
``on_done`` / ``on_error`` callbacks run on the UI thread. A :class:`BackgroundRunner`
is a QObject living on the UI thread for as long as the widget that owns it; the
worker reports through its signals, which are therefore queued to the UI thread
(a signal connected straight to a plain function would run it on the worker thread).
One runner per widget, never one per task: deleting a relay object while a worker
may still hold it is how cross-thread use-after-free bugs start.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[Exception], None]


class BackgroundRunner(QObject):
    _finished = Signal(int, object, bool)  # ticket, result or exception, ok

    def __init__(self, owner: QObject, *, pool: QThreadPool | None = None) -> None:
        """``pool``: where the work runs (the application's shared pool when None; a pool of
        one thread keeps a series of requests in the order they were made)."""
        super().__init__(owner)
        self._pool = pool
        self._tickets = itertools.count(1)
        self._pending: dict[int, tuple[Done, Failed]] = {}
        self._finished.connect(self._deliver)

    def run(self, work: Callable[[], Any], on_done: Done, on_error: Failed) -> None:
        ticket = next(self._tickets)
        self._pending[ticket] = (on_done, on_error)
        finished = self._finished

        def task() -> None:
            try:
                outcome, ok = work(), True
            except Exception as exc:  # handed to on_error on the UI thread
                outcome, ok = exc, False
            try:
                finished.emit(ticket, outcome, ok)
            except RuntimeError:  # the owning widget is gone; nobody is waiting
                log.debug("background result %d dropped: owner deleted", ticket)

        (self._pool or QThreadPool.globalInstance()).start(task)

    @Slot(int, object, bool)
    def _deliver(self, ticket: int, outcome: object, ok: bool) -> None:
        callbacks = self._pending.pop(ticket, None)
        if callbacks is None:
            return
        on_done, on_error = callbacks
        if ok:
            on_done(outcome)
        else:
            assert isinstance(outcome, Exception)
            on_error(outcome)
