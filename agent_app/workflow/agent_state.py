"""The agent's states, the not-ready reasons, the rule that derives the state shown, and its timers.

The agent chooses only an *availability* (Ready, or Not ready with a reason); the state the
desk shows follows from it and from the phone: a call up means On call, a call offered means
Ringing, an unregistered phone means Offline, unfinished after-call work means Wrap-up. So the
state never changes "by itself" and can never say Ready while a call is up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

JOURNAL_KIND = "agent_state"
"""The journal's outbox kind of a state change (the server's intake must know it)."""


class AgentState(StrEnum):
    READY = "ready"
    NOT_READY = "not_ready"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    OFFLINE = "offline"


@dataclass(frozen=True)
class NotReadyReason:
    """A reason code from the server or the settings (break, lunch, training...)."""

    code: str
    label: str
    limit_s: float | None = None
    """After this long in the reason its timer shows as overdue (None: no limit)."""


class IncomingPolicy(StrEnum):
    """What the phone does with a new call; the session applies it, the glue may show it."""

    ACCEPT = "accept"
    BUSY_HERE = "busy_here"
    """Answer 486 Busy Here at once: the caller (or the queue) moves on."""
    RING_AND_DECLINE = "ring_and_decline"
    """Let it ring for a while (the agent sees who calls and may answer), then 486."""


def derive_state(
    *,
    connected: bool,
    offered: bool,
    registered: bool,
    wrap_up: bool,
    not_ready: NotReadyReason | None,
) -> tuple[AgentState, NotReadyReason | None]:
    """The state to show, by priority: calls, then the phone, then work, then the choice.

    ``connected``: a call is being dialled, answered, talked on or held; ``offered``: a
    call rings for the agent. Offline outranks Wrap-up so that a phone that lost its
    registration (or an engine that restarted) shows at once; the after-call work stays
    and comes back when the phone does.
    """
    if connected:
        return AgentState.ON_CALL, None
    if offered:
        return AgentState.RINGING, None
    if not registered:
        return AgentState.OFFLINE, None
    if wrap_up:
        return AgentState.WRAP_UP, None
    if not_ready is not None:
        return AgentState.NOT_READY, not_ready
    return AgentState.READY, None


@dataclass(frozen=True)
class AgentStatus:
    """A snapshot for the status bar: the state, its reason and its timers."""

    state: AgentState
    reason: NotReadyReason | None
    elapsed_s: float
    """Time in this state (and reason): a new reason starts a new timer."""
    availability: NotReadyReason | None
    """What the agent chose: None for Ready, else the not-ready reason."""
    registered: bool
    overdue: bool
    """Not ready for longer than the reason's limit."""
    wrap_up_remaining_s: float | None
    """Seconds left of the oldest call's after-call work (None: no limit or no work)."""


class StateClock:
    """When the shown state began, and the time spent in each not-ready reason this shift."""

    def __init__(
        self, clock: Callable[[], float], state: AgentState, reason: NotReadyReason | None
    ) -> None:
        self._clock = clock
        self.state = state
        self.reason = reason
        self.since = clock()
        self._totals: dict[str, float] = {}

    def elapsed(self) -> float:
        return max(0.0, self._clock() - self.since)

    def change(self, state: AgentState, reason: NotReadyReason | None) -> float:
        """Start the new state's timer; return the seconds spent in the previous one."""
        spent = self.elapsed()
        if self.reason is not None:
            self._totals[self.reason.code] = self._totals.get(self.reason.code, 0.0) + spent
        self.state, self.reason, self.since = state, reason, self._clock()
        return spent

    def totals(self) -> dict[str, float]:
        """Seconds per not-ready reason code, the current stint included."""
        totals = dict(self._totals)
        if self.reason is not None:
            totals[self.reason.code] = totals.get(self.reason.code, 0.0) + self.elapsed()
        return totals


def state_payload(
    *,
    state: AgentState,
    reason: NotReadyReason | None,
    previous: AgentState,
    previous_reason: NotReadyReason | None,
    previous_s: float,
    at: str,
    call_id: str | None,
) -> dict[str, Any]:
    """The outbox payload of one state change (``at`` in server time; no patient data)."""
    return {
        "state": state.value,
        "reason": None if reason is None else reason.code,
        "previous": previous.value,
        "previous_reason": None if previous_reason is None else previous_reason.code,
        "previous_s": round(previous_s, 3),
        "at": at,
        "call_id": call_id,
    }
