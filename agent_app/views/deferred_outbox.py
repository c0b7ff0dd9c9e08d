"""The session's outbox, written a moment later: just after the window has shown the change.

A state change (Ready → Ringing) is journaled with its server time taken when it happened
(the payload's ``at``); writing it to the encrypted journal costs a transaction of a few
milliseconds, which on a ringing call would delay the patient card. :class:`DeferredOutbox`
keeps the entries in order and writes them from a zero-interval timer, which Qt runs after
the posted events of this turn of the event loop (the repaint among them). A write that
fails is reported through ``problem``; :meth:`flush` writes what is left at once (the phone
calls it when it stops, before the store is closed).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QObject, QTimer

from agent_app.store.errors import StoreError
from agent_app.workflow.agent_session import Outbox

log = logging.getLogger(__name__)

NOT_SAVED = "The state change could not be saved."
"""The session's own words for a state change the journal refused."""


class DeferredOutbox(QObject):
    def __init__(
        self,
        outbox: Outbox,
        problem: Callable[[str], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._outbox = outbox
        self._problem = problem
        self._queue: deque[tuple[str, dict[str, Any], str | None]] = deque()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.flush)

    @property
    def pending(self) -> int:
        return len(self._queue)

    def enqueue(self, kind: str, payload: Mapping[str, Any], *, call_id: str | None = None) -> str:
        """Queue one entry; it is written on the next turn of the event loop.

        Returns "" (the entry's id is the journal's to give when it is written; the
        session does not use it)."""
        self._queue.append((kind, dict(payload), call_id))
        if not self._timer.isActive():
            self._timer.start()
        return ""

    def flush(self) -> None:
        """Write every queued entry now, oldest first."""
        self._timer.stop()
        while self._queue:
            kind, payload, call_id = self._queue.popleft()
            try:
                self._outbox.enqueue(kind, payload, call_id=call_id)
            except StoreError as exc:
                log.warning("%s entry not journaled (%s)", kind, type(exc).__name__)
                self._problem(NOT_SAVED)
