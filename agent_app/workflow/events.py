"""What the workflow tells its observers, and the plain callback list that carries it.

Views (through a Qt adapter that re-emits each event as a signal) subscribe to
:class:`agent_app.workflow.agent_session.AgentSession`; every event is a small frozen
dataclass naming what changed, and the objects it points at can be read for the rest.
Events are delivered after the change is complete, on the thread that drives the session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from agent_app.workflow.agent_state import AgentState, NotReadyReason
from agent_app.workflow.call_session import CallSession

log = logging.getLogger(__name__)

E = TypeVar("E")


@dataclass(frozen=True)
class WrapUpItem:
    """After-call work owed for one call: it stays until the disposition is saved."""

    call: CallSession
    since: float
    """Monotonic time the call ended (the countdown starts then)."""
    limit_s: float | None = None

    @property
    def record_id(self) -> str:
        return self.call.record_id

    def remaining(self, now: float) -> float | None:
        if self.limit_s is None:
            return None
        return max(0.0, self.limit_s - (now - self.since))


@dataclass(frozen=True)
class AgentStateChanged:
    state: AgentState
    reason: NotReadyReason | None
    previous: AgentState
    previous_reason: NotReadyReason | None
    previous_s: float


@dataclass(frozen=True)
class CallAdded:
    """A new live call (ringing, being dialled, or taking over a replaced one)."""

    call: CallSession


@dataclass(frozen=True)
class CallChanged:
    """Something about a call changed (phase, mute, media, patient, identity, end cause...).

    Mostly a live call; a call awaiting wrap-up changes too (its patient, its end cause)."""

    call: CallSession


@dataclass(frozen=True)
class CallFinished:
    """The call is over (or was refused) and is no longer live; it may leave a wrap-up."""

    call: CallSession


@dataclass(frozen=True)
class WrapUpAdded:
    item: WrapUpItem


@dataclass(frozen=True)
class WrapUpDone:
    item: WrapUpItem


@dataclass(frozen=True)
class Problem:
    """Something the agent should see: a command the engine refused, a write that failed."""

    message: str
    call_id: str = ""
    template: str = ""
    """The calling rules' sentence ``message`` was filled from, for the agent's language."""
    params: tuple[tuple[str, str], ...] = ()
    """The values ``template`` takes."""


WorkflowEvent = (
    AgentStateChanged | CallAdded | CallChanged | CallFinished | WrapUpAdded | WrapUpDone | Problem
)


class Listeners(Generic[E]):
    """Callbacks called in order; one that raises is logged and the others still run."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[E], None]] = []

    def subscribe(
        self, listener: Callable[[E], None], *, first: bool = False
    ) -> Callable[[], None]:
        """Add ``listener`` (before the others with ``first``); call the returned function to
        remove it again."""
        if first:
            self._listeners.insert(0, listener)
        else:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def emit(self, event: E) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("a workflow listener failed on %s", type(event).__name__)
