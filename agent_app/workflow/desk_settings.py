"""The desk's settings: which account is the agent's phone, and how calls are offered and kept."""

from __future__ import annotations

from dataclasses import dataclass

from agent_app.workflow.agent_state import IncomingPolicy, NotReadyReason

DISPOSITION_PENDING = NotReadyReason("disposition_pending", "Disposition pending")
"""Where the desk puts the agent when the after-call work countdown runs out with a call
still to dispose of (never to Ready); the desk uses it even when the server's reasons
do not list it."""

DESK_LOCKED = NotReadyReason("desk_locked", "Desk locked")
"""Where the desk puts the agent while its panels are covered (the patient cache locked after
the offline limit): no call is offered that the agent could not work."""

DEFAULT_NOT_READY_REASONS: tuple[NotReadyReason, ...] = (
    NotReadyReason("break", "Break", limit_s=15 * 60),
    NotReadyReason("lunch", "Lunch", limit_s=60 * 60),
    NotReadyReason("meeting", "Meeting"),
    NotReadyReason("training", "Training"),
    NotReadyReason("after_call_follow_up", "Follow-up work", limit_s=10 * 60),
    NotReadyReason("technical", "Technical problem"),
    DISPOSITION_PENDING,
)
"""The reasons offered until the server sends its own (labels are source text: views translate)."""


@dataclass(frozen=True)
class DeskSettings:
    account_id: str = ""
    """The agent's SIP account ("" = any registered account makes the phone registered)."""
    not_ready_policy: IncomingPolicy = IncomingPolicy.BUSY_HERE
    """What a call meets while Not ready, in wrap-up or Offline."""
    ring_and_decline_s: float = 10.0
    call_waiting: bool = True
    """A second call may ring during a call (else it gets 486 Busy Here)."""
    identity_attempts: int = 3
    """Failed identity checks after which the call is locked (no more checks, no reveal)."""
    wrap_up_limit_s: float | None = None
    """The after-call work countdown (None: no countdown)."""
    day_first_dates: bool = False
    """Read 03/02/1958 as 3 February (else as March 2); unambiguous dates read either way."""
    auto_answer_s: float | None = None
    """Answer a call offered to an idle agent after it rang this long (its ring is the
    agent's short warning tone); None: the agent answers every call. Never a waiting call."""
    default_campaign_id: str | None = None
    """The campaign of a call whose patient names none the desk knows (the app sets the
    agent's first inbound campaign); None: such a call has no campaign."""
