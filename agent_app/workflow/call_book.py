"""The desk's calls, live, missed and awaiting wrap-up, and the rules that span more than one call.

:class:`CallBook` is :class:`agent_app.workflow.agent_session.AgentSession`'s part that
files calls: it creates a :class:`CallSession` per engine call, sends the commands the
sessions ask for, keeps at most one call audible (a call that takes the agent pushes the
one in progress to hold), moves a call that ended out of the live list for good (to the
wrap-up items when it was answered or dialled by the agent, else to the missed calls), and
turns engine-wide events (restart, lost calls, refused commands) into call endings. The
one exception to "one audible call" is the agent's 3-way conference: its two members hear
the agent together until one of them ends or is held. It appends what changed to the
session's pending events; the session tells the listeners.
"""

from __future__ import annotations

import logging
import uuid
from collections import deque
from collections.abc import Callable, Sequence

from agent_app.store.errors import StoreError
from agent_app.telephony import protocol as p
from agent_app.telephony.client import EngineUnavailable
from agent_app.workflow.agent_state import IncomingPolicy
from agent_app.workflow.call_session import AUDIBLE, CONNECTED, CallPhase, CallSession, Direction
from agent_app.workflow.desk_settings import DeskSettings
from agent_app.workflow.events import (
    CallAdded,
    CallChanged,
    CallFinished,
    Problem,
    WorkflowEvent,
    WrapUpAdded,
    WrapUpDone,
    WrapUpItem,
)
from agent_app.workflow.identity_gate import AuditSink, MatchKind, PatientMatch

log = logging.getLogger(__name__)

_SETTING_UP = frozenset({CallPhase.DIALING, CallPhase.ANSWERING})
_MERGEABLE = frozenset({CallPhase.TALKING, CallPhase.HELD})

Lookup = Callable[[str], Sequence[str]]
"""Caller id → ids of the patients with that number (the store's cache behind it)."""


class CallBook:
    def __init__(
        self,
        *,
        send: Callable[[p.Command], None],
        audit: AuditSink,
        lookup: Lookup,
        clock: Callable[[], float],
        server_now: Callable[[], str],
        settings: DeskSettings,
        pending: list[WorkflowEvent],
    ) -> None:
        self._send_command, self._audit, self._lookup = send, audit, lookup
        self._clock, self._server_now, self.settings = clock, server_now, settings
        self._pending = pending
        self.live: dict[str, CallSession] = {}
        self.wrap_ups: dict[str, WrapUpItem] = {}
        self.missed: deque[CallSession] = deque(maxlen=50)
        self.conference: set[str] = set()
        """Engine ids of the calls merged into the agent's conference (none, or two)."""

    def find(self, key: str) -> CallSession | None:
        """A live call by its engine id, or one awaiting wrap-up by its record id.

        (An engine that restarted gives out its call ids again: a finished call is best
        named by its record id; its engine id finds the newest such call.)
        """
        found = self.live.get(key)
        if found is None and key in self.wrap_ups:
            found = self.wrap_ups[key].call
        if found is None:
            calls = (w.call for w in reversed(self.wrap_ups.values()) if w.call.call_id == key)
            found = next(calls, None)
        return found

    @property
    def audible(self) -> CallSession | None:
        return next((c for c in self.live.values() if c.phase in AUDIBLE), None)

    @property
    def connected(self) -> bool:
        return any(c.phase in CONNECTED for c in self.live.values())

    @property
    def offered(self) -> bool:
        return any(c.offered for c in self.live.values())

    def _exempt(self, call: CallSession, other: CallSession) -> bool:
        """Both calls are in the conference: they may hear the agent together."""
        return call.call_id in self.conference and other.call_id in self.conference

    def _leave(self, call_id: str) -> None:
        """``call_id`` is out of the conference; a conference of one is just a call."""
        self.conference.discard(call_id)
        if len(self.conference) < 2:
            self.conference.clear()

    # -- intents ---------------------------------------------------------------------------

    def intent(self, call_id: str, action: Callable[[CallSession], list[p.Command]]) -> bool:
        call = self.live.get(call_id)
        commands = [] if call is None else action(call)
        if call is None or not commands:
            return False
        self.settle(call, commands)
        return True

    def take_over(self, call_id: str, phase: CallPhase) -> bool:
        """Answer (from RINGING) or resume (from HELD), holding the call in progress first."""
        call = self.live.get(call_id)
        if call is None or call.phase is not phase or self._blocked_by_setup(call):
            return False
        self._hold_talking(call)
        self.settle(call, call.answer() if phase is CallPhase.RINGING else call.resume())
        return True

    def dial(
        self, account_id: str, target: str, consult_of: CallSession | None = None
    ) -> CallSession | None:
        if self._blocked_by_setup(None):
            return None
        self._hold_talking(None)
        call = self._new_call(f"d-{uuid.uuid4().hex[:12]}", Direction.OUTBOUND, target)
        call.agent_dialed = True
        call.consult_of = None if consult_of is None else consult_of.record_id
        call.set_match(self._match(target))
        self.live[call.call_id] = call
        self._pending.append(CallAdded(call))
        self.settle(call, [p.Dial(call.call_id, account_id, target)])
        return call

    def hold(self, call_id: str) -> bool:
        """Hold a call; holding a conference member holds the whole conference (and ends it)."""
        call = self.live.get(call_id)
        if call is None:
            return False
        members = self.members(call)
        held = False
        for member in members:
            commands = member.hold()
            if commands:
                self._leave(member.call_id)
                self.settle(member, commands)
                held = True
        return held

    def members(self, call: CallSession) -> list[CallSession]:
        """The calls an action on ``call`` applies to: the whole conference, or the call."""
        if call.call_id not in self.conference:
            return [call]
        return [self.live[m] for m in sorted(self.conference) if m in self.live]

    def merge(self, call_id: str, other_id: str) -> bool:
        """Join two answered calls into a conference with the agent (a held one is resumed)."""
        calls = [self.live.get(call_id), self.live.get(other_id)]
        both = [c for c in calls if c is not None and c.answered and c.phase in _MERGEABLE]
        if call_id == other_id or len(both) != 2 or self._blocked_by_setup(None):
            return False
        self.conference = {call_id, other_id}
        for call in both:
            if call.phase is CallPhase.HELD:
                self.settle(call, call.resume())
            else:
                self.settle(call, [])
        self._send(p.Conference((call_id, other_id)))
        return True

    def leave_conference(self) -> bool:
        """The agent leaves the conference: every member is hung up."""
        members = [self.live[m] for m in sorted(self.conference) if m in self.live]
        hung_up = False
        for call in members:
            commands = call.hangup()
            if commands:
                self.settle(call, commands)
                hung_up = True
        return hung_up

    def complete(self, record_id: str) -> bool:
        item = self.wrap_ups.pop(record_id, None)
        if item is not None:
            self._pending.append(WrapUpDone(item))
        return item is not None

    def decline_due(self) -> None:
        """Decline the ring-and-decline calls whose time is up."""
        now = self._clock()
        for call in list(self.live.values()):
            if call.declining_at is not None and now >= call.declining_at:
                self._refuse(call)

    def answer_due(self) -> None:
        """Answer the call whose auto-answer time has come (one call: the first due)."""
        now = self._clock()
        for call in list(self.live.values()):
            if call.auto_answer_at is not None and now >= call.auto_answer_at:
                call.auto_answer_at = None
                if call.offered and not self.connected:
                    log.info("auto-answer: call %s", call.call_id)
                    self.take_over(call.call_id, CallPhase.RINGING)
                    return

    def offer_declining(self) -> None:
        """The agent became available: calls waiting to be declined ring for them now."""
        for call in self.live.values():
            if call.declining_at is not None:
                call.declining_at = None
                self._pending.append(CallChanged(call))

    # -- engine events ---------------------------------------------------------------------

    def incoming(self, event: p.IncomingCall, policy: IncomingPolicy) -> None:
        if event.call_id in self.live:
            return
        call = self._new_call(event.call_id, Direction.INBOUND, event.number, event.display_name)
        if policy is IncomingPolicy.BUSY_HERE:
            self._refuse(call)  # unseen: no lookup, so no patient data is read for it
            return
        call.set_match(self._match(event.number))
        call.waiting = self.connected
        if policy is IncomingPolicy.RING_AND_DECLINE:
            call.declining_at = self._clock() + self.settings.ring_and_decline_s
        elif self.settings.auto_answer_s is not None and not call.waiting and not self.offered:
            call.auto_answer_at = self._clock() + self.settings.auto_answer_s
        self.live[call.call_id] = call
        self._pending.append(CallAdded(call))

    def about_call(self, event: p.Event, call_id: str) -> None:
        call = self.live.get(call_id)
        if call is not None:
            self.settle(call, call.apply(event))
        elif isinstance(event, p.CallEnded):
            # The engine's last word on a call its disconnect already ended: the cause.
            finished = [w.call for w in self.wrap_ups.values()] + list(self.missed)
            waiting = [c for c in finished if c.call_id == call_id and c.awaiting_cause]
            if waiting:
                waiting[-1].apply(event)
                self._pending.append(CallChanged(waiting[-1]))

    def replaced(self, event: p.CallReplaced) -> None:
        old = self.live.get(event.call_id)
        if old is not None:
            old.end("replaced")
            self.settle(old, [])
        if event.new_call_id not in self.live:
            direction = Direction.INBOUND if old is None else old.direction
            new = self._new_call(event.new_call_id, direction, "")
            new.answered_by_library()
            self._add(new)

    def transfer_requested(self, event: p.TransferRequested) -> None:
        old = self.live.get(event.call_id)
        if old is not None:
            old.held_by_peer()
            self.settle(old, [])
        if event.new_call_id not in self.live:
            self._add(self._new_call(event.new_call_id, Direction.OUTBOUND, event.target))

    def command_failed(self, event: p.CommandFailed) -> None:
        call = self.live.get(event.call_id)
        if call is None:
            return
        log.warning("the engine refused %s on call %s", event.command, event.call_id)
        self._pending.append(
            Problem(f"The phone could not carry out: {event.command}.", call.call_id)
        )
        self.settle(call, call.apply(event))

    def end_all(self, reason: str) -> None:
        for call in list(self.live.values()):
            call.end(reason)
            self.settle(call, [])

    def keep_only(self, engine_calls: Sequence[str]) -> None:
        """The engine's list of its calls: any other live call is gone."""
        for call in [c for c in self.live.values() if c.call_id not in engine_calls]:
            call.end("lost")
            self.settle(call, [])

    # -- filing ----------------------------------------------------------------------------

    def settle(self, call: CallSession, commands: list[p.Command]) -> None:
        """Send what the call asked for, then file it: still live, or finished."""
        for command in commands:
            self._send(command)
        if call.live:
            if call.phase in AUDIBLE:
                # Whatever took the agent last keeps them: no other call stays audible
                # (but the two calls of the agent's conference hear them together).
                for other in list(self.live.values()):
                    if other is call or other.phase not in AUDIBLE or self._exempt(call, other):
                        continue
                    self._leave(other.call_id)
                    self.settle(other, other.push_to_hold())
            self._pending.append(CallChanged(call))
            return
        self._leave(call.call_id)
        if self.live.get(call.call_id) is not call:
            if call.refused:  # refused before it was ever live
                self.missed.append(call)
                self._pending.append(CallFinished(call))
            return
        del self.live[call.call_id]
        self._pending.append(CallFinished(call))
        if call.needs_wrap_up:
            item = WrapUpItem(call, self._clock(), self.settings.wrap_up_limit_s)
            self.wrap_ups[call.record_id] = item
            self._pending.append(WrapUpAdded(item))
        elif call.direction is Direction.INBOUND:
            self.missed.append(call)

    def _add(self, call: CallSession) -> None:
        self.live[call.call_id] = call
        self._pending.append(CallAdded(call))
        self.settle(call, [])

    def _refuse(self, call: CallSession) -> None:
        commands = call.decline(486)
        call.refused, call.end_reason = True, "refused"
        self.settle(call, commands)

    def _hold_talking(self, keep: CallSession | None) -> None:
        for other in list(self.live.values()):
            if other is not keep and other.phase is CallPhase.TALKING:
                self._leave(other.call_id)
                self.settle(other, other.hold())

    def _blocked_by_setup(self, call: CallSession | None) -> bool:
        """A call still being set up cannot be put on hold: the agent must finish it first."""
        if any(c is not call and c.phase in _SETTING_UP for c in self.live.values()):
            self._pending.append(Problem("Another call is still being connected."))
            return True
        return False

    def _send(self, command: p.Command) -> bool:
        try:
            self._send_command(command)
        except EngineUnavailable:
            log.warning("engine unavailable; %s not sent", command.type)
            self._pending.append(Problem("The phone is not available right now."))
            return False
        return True

    def _new_call(
        self, call_id: str, direction: Direction, number: str, name: str = ""
    ) -> CallSession:
        return CallSession(
            call_id=call_id,
            direction=direction,
            number=number,
            display_name=name,
            clock=self._clock,
            server_now=self._server_now,
            audit=self._audit,
            max_attempts=self.settings.identity_attempts,
            day_first=self.settings.day_first_dates,
        )

    def _match(self, number: str) -> PatientMatch:
        if not number.strip():
            return PatientMatch(MatchKind.NONE)
        try:
            return PatientMatch.of(self._lookup(number))
        except StoreError as exc:
            log.warning("caller lookup unavailable (%s)", type(exc).__name__)
            return PatientMatch(MatchKind.UNAVAILABLE)
