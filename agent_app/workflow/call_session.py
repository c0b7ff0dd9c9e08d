"""One call as the desk sees it: the engine's call, its phase, its patient, the caller's identity.

A :class:`CallSession` is a small state machine. Engine events (:meth:`apply`) and the
desk's requests (:meth:`answer`, :meth:`hold`, ...) move it from phase to phase and return
the engine commands that carry the change out; an empty list means "not now" (a click that
raced a hang-up, say). Rules that involve more than one call (answering a second call holds
the first) belong to :class:`agent_app.workflow.agent_session.AgentSession`, which owns the
sessions; views read them and send intents there. The patient and the caller's identity
are the call's :class:`identity_gate.IdentityGate`, whose checks and reveals are audited.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from agent_app.telephony import protocol as p
from agent_app.workflow.identity import Claim, IdentityRecord
from agent_app.workflow.identity_gate import (
    AuditSink,
    IdentityGate,
    IdentityStatus,
    MatchKind,
    PatientMatch,
    Verification,
)

_DTMF = re.compile(r"^[0-9A-D*#]+$")


class SupportsRecord(Protocol):
    """What the call keeps of its script run: the record that goes with the disposition
    (``agent_app.workflow.script_run.ScriptRun`` fits)."""

    def as_record(self) -> dict[str, Any]: ...


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class CallPhase(StrEnum):
    RINGING = "ringing"
    """Inbound, offered to the agent (or about to be declined, see ``declining_at``)."""
    DIALING = "dialing"
    """Outbound, the far end has not answered yet."""
    ANSWERING = "answering"
    """The agent answered; the engine has not confirmed the call yet."""
    TALKING = "talking"
    HELD = "held"
    ENDED = "ended"


CONNECTED = frozenset({CallPhase.DIALING, CallPhase.ANSWERING, CallPhase.TALKING, CallPhase.HELD})
"""Phases that make the agent On call."""
AUDIBLE = frozenset({CallPhase.DIALING, CallPhase.ANSWERING, CallPhase.TALKING})
"""Phases in which the agent's voice goes to the call: never more than one call at once."""


class TransferState(StrEnum):
    NONE = "none"
    IN_PROGRESS = "in_progress"
    FAILED = "failed"
    DONE = "done"


class CallSession:
    """One call; see the module docstring. Not thread-safe: drive it from one thread."""

    def __init__(
        self,
        *,
        call_id: str,
        direction: Direction,
        number: str,
        display_name: str = "",
        clock: Callable[[], float],
        server_now: Callable[[], str],
        audit: AuditSink,
        max_attempts: int = 3,
        day_first: bool = False,
        agent_dialed: bool = False,
        record_id: str | None = None,
    ) -> None:
        self.record_id = record_id or str(uuid.uuid4())
        """Chosen now (or given back, for a call restored after a restart); the
        disposition and every audit event of this call carry it."""
        self.call_id = call_id
        self.direction = direction
        self.number = number
        self.display_name = display_name
        self.agent_dialed = agent_dialed
        self._clock, self._server_now = clock, server_now
        self.gate = IdentityGate(
            record_id=self.record_id, audit=audit, max_attempts=max_attempts, day_first=day_first
        )
        self.phase = CallPhase.DIALING if direction is Direction.OUTBOUND else CallPhase.RINGING
        self.phase_since = self.created = clock()
        self.started_at = server_now()
        self.answered_at: str | None = None
        self.ended_at: str | None = None
        self._answered_mono: float | None = None
        self._ended_mono: float | None = None
        self.end_reason = ""
        self.end_code = 0
        self.awaiting_cause = False
        """Ended by a disconnect: the engine's final event will name the cause."""
        self.waiting = False
        self.declining_at: float | None = None
        self.refused = False
        self.hangup_requested = False
        self.muted = False
        self.hold_failed = False
        self._fallback_muted = False
        self.media_state = ""
        """The engine's last media state for the call ("" until it reports one)."""
        self.transfer = TransferState.NONE
        self.transfer_code = 0
        self.transfer_target: str | None = None
        """Where the last transfer asked for sends the caller (a dial target or, for a
        warm transfer, the consulted party's number)."""
        self.campaign_id: str | None = None
        """The campaign the call is worked for (the desk sets it from the patient, else
        the desk's default campaign); the script and the disposition follow it."""
        self.script: SupportsRecord | None = None
        """The script run of this call, once there is one (set by the script's owner)."""
        self.consult_of: str | None = None
        """Set on a call the agent placed to consult about another (a warm transfer or a
        conference): the record id of that call. A consult call owes no wrap-up of its own."""
        self.auto_answer_at: float | None = None
        """Monotonic time at which the desk answers this ringing call by itself."""

    def __repr__(self) -> str:  # the number and the name are PHI
        return f"CallSession(record_id={self.record_id!r}, call_id={self.call_id!r}, {self.phase})"

    # -- reading ---------------------------------------------------------------------------

    @property
    def live(self) -> bool:
        return self.phase is not CallPhase.ENDED

    @property
    def answered(self) -> bool:
        return self.answered_at is not None

    @property
    def offered(self) -> bool:
        """Ringing for the agent (not merely waiting to be declined)."""
        return self.phase is CallPhase.RINGING and self.declining_at is None

    @property
    def media_lost(self) -> bool:
        return self.phase is CallPhase.TALKING and self.media_state in ("none", "error")

    @property
    def needs_wrap_up(self) -> bool:
        """An answered call, or an attempt the agent dialled, must be disposed (a consult
        call is part of the call it was placed for)."""
        return (self.answered or self.agent_dialed) and self.consult_of is None

    def time_in_phase(self) -> float:
        return max(0.0, self._clock() - self.phase_since)

    def talk_time(self) -> float:
        if self._answered_mono is None:
            return 0.0
        end = self._ended_mono if self._ended_mono is not None else self._clock()
        return max(0.0, end - self._answered_mono)

    # -- the desk's requests (AgentSession calls these) --------------------------------------

    def answer(self) -> list[p.Command]:
        if self.phase is not CallPhase.RINGING:
            return []
        self.declining_at = self.auto_answer_at = None
        self._set_phase(CallPhase.ANSWERING)
        return [p.Answer(self.call_id)]

    def decline(self, code: int = 486) -> list[p.Command]:
        if self.phase is not CallPhase.RINGING:
            return []
        self.end("declined", code)
        return [p.Decline(self.call_id, 603 if code == 603 else 486)]

    def hangup(self) -> list[p.Command]:
        if self.phase is CallPhase.RINGING:
            return self.decline()
        if self.phase not in CONNECTED or self.hangup_requested:
            return []
        self.hangup_requested = True
        return [p.Hangup(self.call_id)]

    def hold(self) -> list[p.Command]:
        if self.phase is not CallPhase.TALKING:
            return []
        self._set_phase(CallPhase.HELD)
        return [p.Hold(self.call_id)]

    def resume(self) -> list[p.Command]:
        if self.phase is not CallPhase.HELD:
            return []
        self._set_phase(self._unheld_phase())
        commands: list[p.Command] = [p.Resume(self.call_id)]
        self.hold_failed = False
        if self._fallback_muted:
            self._fallback_muted = False
            if not self.muted:
                commands.append(p.Mute(self.call_id, False))
        return commands

    def mute(self, muted: bool) -> list[p.Command]:
        if self.phase not in (CallPhase.TALKING, CallPhase.HELD) or muted == self.muted:
            return []
        self.muted = muted
        return [p.Mute(self.call_id, muted)]

    def send_dtmf(self, digits: str) -> list[p.Command]:
        if self.phase is not CallPhase.TALKING or not _DTMF.match(digits):
            return []
        return [p.SendDtmf(self.call_id, digits)]

    def blind_transfer(self, target: str) -> list[p.Command]:
        busy = self.transfer is TransferState.IN_PROGRESS
        if self.phase not in (CallPhase.TALKING, CallPhase.HELD) or busy or not target.strip():
            return []
        self.transfer, self.transfer_code = TransferState.IN_PROGRESS, 0
        self.transfer_target = target.strip()
        return [p.BlindTransfer(self.call_id, target.strip())]

    def attended_transfer(self, consult_call_id: str) -> list[p.Command]:
        """Hand this caller to the party of ``consult_call_id`` (a warm transfer)."""
        busy = self.transfer is TransferState.IN_PROGRESS
        if self.phase not in (CallPhase.TALKING, CallPhase.HELD) or busy:
            return []
        self.transfer, self.transfer_code = TransferState.IN_PROGRESS, 0
        return [p.AttendedTransfer(self.call_id, consult_call_id)]

    def push_to_hold(self) -> list[p.Command]:
        """The desk connected another call: this one must stop hearing the agent."""
        if self.phase not in AUDIBLE:
            return []
        self._set_phase(CallPhase.HELD)
        return [p.Hold(self.call_id)]

    def answered_by_library(self) -> None:
        """The engine answers this call itself (it replaces a call the agent was on)."""
        if self.phase is CallPhase.RINGING:
            self._set_phase(CallPhase.ANSWERING)

    def held_by_peer(self) -> None:
        """The peer asked us to call someone else (REFER): this leg is no longer heard."""
        if self.phase is CallPhase.TALKING:
            self._set_phase(CallPhase.HELD)

    def end(self, reason: str, code: int = 0) -> None:
        """The call is over for the desk; later engine events for it change nothing."""
        if self.phase is CallPhase.ENDED:
            return
        self._set_phase(CallPhase.ENDED)
        self.end_reason, self.end_code = reason, code
        self.ended_at = self._server_now()
        self._ended_mono = self._clock()
        self.declining_at = self.auto_answer_at = None
        self.hangup_requested = False

    # -- engine events ---------------------------------------------------------------------

    def apply(self, event: p.Event) -> list[p.Command]:
        """Take one engine event about this call; return commands it calls for."""
        if isinstance(event, p.CallEnded):
            if self.phase is not CallPhase.ENDED:
                self.end(event.ended_by, event.code)
            elif self.awaiting_cause:
                self.end_reason, self.end_code = event.ended_by, event.code
            self.awaiting_cause = False
            return []
        if self.phase is CallPhase.ENDED:
            return []
        if isinstance(event, p.CallStateChanged):
            self._on_state(event)
        elif isinstance(event, p.MediaChanged):
            self.media_state = event.state
        elif isinstance(event, p.TransferProgress):
            if not event.final:
                self.transfer = TransferState.IN_PROGRESS
            else:
                done = 200 <= event.code < 300
                self.transfer = TransferState.DONE if done else TransferState.FAILED
            self.transfer_code = event.code
        elif isinstance(event, p.CommandFailed):
            return self._on_failure(event.command)
        return []

    def _on_state(self, event: p.CallStateChanged) -> None:
        if event.state == "confirmed":
            if self._answered_mono is None:
                self.answered_at, self._answered_mono = self._server_now(), self._clock()
            if self.phase in (CallPhase.RINGING, CallPhase.DIALING, CallPhase.ANSWERING):
                self.declining_at = None
                self._set_phase(CallPhase.TALKING)
        elif event.state == "connecting" and self.phase is CallPhase.RINGING:
            self._set_phase(CallPhase.ANSWERING)
        elif event.state == "disconnected":
            self.end("local" if self.hangup_requested else "remote", event.code)
            self.awaiting_cause = True

    def _on_failure(self, command: str) -> list[p.Command]:
        if command == "answer" and self.phase is CallPhase.ANSWERING:
            self._set_phase(CallPhase.RINGING)
        elif command == "hold" and self.phase is CallPhase.HELD and not self.hold_failed:
            # The agent is no longer talking to this caller: if the hold did not go
            # through, at least stop sending them the agent's voice.
            self.hold_failed = True
            if not self.muted:
                self._fallback_muted = True
                return [p.Mute(self.call_id, True)]
        elif command == "resume" and self.phase in AUDIBLE:
            self._set_phase(CallPhase.HELD)
        elif command == "mute":
            self.muted = not self.muted
        elif command == "hangup":
            self.hangup_requested = False
        elif command in ("blind_transfer", "attended_transfer"):
            self.transfer = TransferState.FAILED
        elif command == "dial":
            self.end("failed")
        return []

    # -- patient and identity (the gate's; the desk calls these) --------------------------

    @property
    def match(self) -> PatientMatch:
        return self.gate.match

    @property
    def patient_id(self) -> str | None:
        return self.gate.patient_id

    @property
    def identity(self) -> IdentityStatus:
        return self.gate.status

    def set_match(self, match: PatientMatch) -> None:
        self.gate.set_match(match)

    def choose_patient(self, patient_id: str) -> bool:
        return self.gate.choose_patient(patient_id)

    def verify(self, record: IdentityRecord, claim: Claim) -> IdentityStatus:
        """Check the caller's identifiers; only while the caller is on the line."""
        return self.gate.verify(record, claim) if self.live else self.gate.status

    def reveal(self, reason: str) -> bool:
        return self.gate.reveal(reason)

    def _unheld_phase(self) -> CallPhase:
        """Where a held call goes back to: talking, or still being connected (a call
        pushed to hold before the far end answered)."""
        if self.answered:
            return CallPhase.TALKING
        return CallPhase.DIALING if self.direction is Direction.OUTBOUND else CallPhase.ANSWERING

    def _set_phase(self, phase: CallPhase) -> None:
        if phase is not self.phase:
            self.phase, self.phase_since = phase, self._clock()

    # -- the facts a wrap-up needs, kept across a restart ---------------------------------

    def facts(self) -> dict[str, Any]:
        """What must survive a crash to dispose of this call later (plain JSON; the
        number is PHI: it goes to the encrypted journal only)."""
        status = self.identity
        return {
            "record_id": self.record_id,
            "call_id": self.call_id,
            "direction": self.direction.value,
            "number": self.number,
            "agent_dialed": self.agent_dialed,
            "started_at": self.started_at,
            "answered_at": self.answered_at,
            "ended_at": self.ended_at,
            "end_reason": self.end_reason,
            "end_code": self.end_code,
            "transfer": self.transfer.value,
            "transfer_target": self.transfer_target,
            "patient_id": self.patient_id,
            "candidates": list(self.match.candidates),
            "campaign_id": self.campaign_id,
            "identity": {
                "state": status.state.value,
                "failed_attempts": status.failed_attempts,
                "reveal_reason": status.reveal_reason,
            },
        }

    @classmethod
    def from_facts(
        cls,
        facts: Mapping[str, Any],
        *,
        clock: Callable[[], float],
        server_now: Callable[[], str],
        audit: AuditSink,
        max_attempts: int = 3,
        day_first: bool = False,
    ) -> CallSession:
        """An ended call rebuilt from :meth:`facts` (after a restart); raises ``KeyError``
        or ``ValueError`` when the facts are not whole."""
        call = cls(
            call_id=str(facts["call_id"]),
            direction=Direction(facts["direction"]),
            number=str(facts.get("number") or ""),
            clock=clock,
            server_now=server_now,
            audit=audit,
            max_attempts=max_attempts,
            day_first=day_first,
            agent_dialed=bool(facts.get("agent_dialed")),
            record_id=str(facts["record_id"]),
        )
        call.started_at = str(facts["started_at"])
        call.answered_at = _optional_time(facts.get("answered_at"))
        call.ended_at = _optional_time(facts.get("ended_at")) or server_now()
        call.phase = CallPhase.ENDED
        call.end_reason = str(facts.get("end_reason") or "")
        call.end_code = int(facts.get("end_code") or 0)
        call.transfer = TransferState(facts.get("transfer") or TransferState.NONE.value)
        target = facts.get("transfer_target")
        call.transfer_target = str(target) if target else None
        campaign = facts.get("campaign_id")
        call.campaign_id = str(campaign) if campaign else None
        candidates = tuple(str(c) for c in facts.get("candidates") or ())
        call.gate.match = PatientMatch(
            {0: MatchKind.NONE, 1: MatchKind.ONE}.get(len(candidates), MatchKind.SEVERAL),
            candidates,
        )
        patient = facts.get("patient_id")
        call.gate.patient_id = str(patient) if patient else None
        identity = facts.get("identity") or {}
        reason = identity.get("reveal_reason")
        call.gate.status = IdentityStatus(
            Verification(identity.get("state") or Verification.UNVERIFIED.value),
            int(identity.get("failed_attempts") or 0),
            str(reason) if reason else None,
        )
        return call


def _optional_time(value: object) -> str | None:
    if value is None or value == "":
        return None
    text = str(value)
    datetime.fromisoformat(text.replace("Z", "+00:00"))  # a ValueError for a broken draft
    return text
