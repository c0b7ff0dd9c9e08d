"""The desk's rules as invariants, under random engine events and random agent actions."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from agent_app.telephony import protocol as p
from agent_app.workflow.agent_state import AgentState, IncomingPolicy
from agent_app.workflow.call_session import AUDIBLE, CONNECTED, CallPhase, CallSession
from agent_app.workflow.disposition import SYS_HANDLED
from agent_app.workflow.events import CallFinished, WorkflowEvent
from agent_app.workflow.identity import Claim
from agent_app.workflow.identity_gate import Verification
from tests.unit.workflow.fakes import LOCKED_NUMBER, make_desk, patient

NUMBERS = ["+12025550143", "+12025550144", "+12025550145", LOCKED_NUMBER, ""]
RECORD = patient()
RIGHT = Claim(family_name="Oskarsdottir Lind", birth_date="1961-07-04")
WRONG = Claim(family_name="Oskarsdottir Lind", birth_date="1961-07-05")
picks = st.integers(min_value=0, max_value=10_000)


class DeskRules(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.desk = make_desk(
            ready=False,
            registered=False,
            not_ready_policy=IncomingPolicy.RING_AND_DECLINE,
            wrap_up_limit_s=120,
            auto_answer_s=2.0,
        )
        self.desk.lookup.numbers.update(
            {"+12025550143": ["pat-1"], "+12025550144": ["pat-1", "pat-2"]}
        )
        self.session = self.desk.session
        self.ids: list[str] = []
        self.serial = 0
        self.answered: dict[str, CallSession] = {}
        self.finished: dict[str, CallSession] = {}
        self.completed: set[str] = set()
        self.submitted: set[str] = set()
        self.session.subscribe(self._observe)

    def _observe(self, event: WorkflowEvent) -> None:
        call = getattr(event, "call", None)
        if isinstance(call, CallSession) and call.answered:
            self.answered[call.record_id] = call
        if isinstance(event, CallFinished):
            self.finished[event.call.record_id] = event.call

    def _new_id(self) -> str:
        self.serial += 1
        self.ids.append(f"c{self.serial}")
        return self.ids[-1]

    def _pick(self, n: int, live: bool = True) -> str:
        calls = self.session.calls
        if live and calls and n % 4:
            return calls[n % len(calls)].call_id
        return self.ids[n % len(self.ids)]

    # -- the engine ----------------------------------------------------------------------

    @rule(state=st.sampled_from(["registered", "registered", "failed", "unregistered"]))
    def registration(self, state: p.RegState) -> None:
        self.desk.register(state)

    @rule(number=st.sampled_from(NUMBERS))
    def ring(self, number: str) -> None:
        policy = self.session.incoming_policy
        call_id = self._new_id()
        self.desk.ring(call_id, number)
        live = self.session.call(call_id)
        if policy is IncomingPolicy.ACCEPT:
            assert live is not None and live.offered
        elif policy is IncomingPolicy.BUSY_HERE:
            assert live is None and self.desk.engine.commands[-1] == p.Decline(call_id, 486)
        else:
            assert live is not None and not live.offered

    @rule(number=st.sampled_from(NUMBERS[:3]), answered=st.booleans(), ready=st.booleans())
    def a_whole_call(self, number: str, answered: bool, ready: bool) -> None:
        """Ring, answer, talk and hang up in one go (so that wrap-ups come often)."""
        if ready:
            assert self.session.go_ready() or self.session.wrap_ups or not self.session.availability
        call_id = self._new_id()
        self.desk.ring(call_id, number)
        if answered and self.session.answer(call_id):
            self.desk.confirm(call_id)
        self.desk.end(call_id, "remote", 200)

    @precondition(lambda self: self.ids)
    @rule(n=picks)
    def engine_confirms(self, n: int) -> None:
        self.desk.confirm(self._pick(n))

    @precondition(lambda self: self.ids)
    @rule(n=picks, ended_by=st.sampled_from(["remote", "local", "media_timeout", "error"]))
    def call_ends(self, n: int, ended_by: p.EndedBy) -> None:
        self.desk.end(self._pick(n), ended_by, 487 if ended_by == "remote" else 200)

    @precondition(lambda self: self.ids)
    @rule(n=picks)
    def disconnected_without_final_event(self, n: int) -> None:
        self.session.handle(p.CallStateChanged(self._pick(n), "disconnected", 503))

    @precondition(lambda self: self.ids)
    @rule(n=picks, state=st.sampled_from(["active", "local_hold", "remote_hold", "none", "error"]))
    def media(self, n: int, state: p.MediaStateName) -> None:
        self.session.handle(p.MediaChanged(self._pick(n), state))

    @precondition(lambda self: self.ids)
    @rule(n=picks, code=st.sampled_from([100, 180, 200, 202, 404, 486, 503]), final=st.booleans())
    def transfer_result(self, n: int, code: int, final: bool) -> None:
        call_id = self._pick(n)
        self.session.handle(p.TransferProgress(call_id, code, "", final))
        if final and 200 <= code < 300:
            self.desk.end(call_id, "transferred")

    @precondition(lambda self: self.ids)
    @rule(
        n=picks,
        command=st.sampled_from(["answer", "hold", "resume", "mute", "hangup", "blind_transfer"]),
    )
    def command_fails(self, n: int, command: str) -> None:
        self.session.handle(p.CommandFailed(command, "refused", self._pick(n)))

    @precondition(lambda self: self.ids)
    @rule(n=picks)
    def replaced(self, n: int) -> None:
        self.session.handle(p.CallReplaced(self._pick(n), self._new_id()))

    @precondition(lambda self: self.ids)
    @rule(n=picks)
    def peer_asks_for_transfer(self, n: int) -> None:
        self.session.handle(p.TransferRequested(self._pick(n), self._new_id(), "sip:x@pbx"))

    @rule(keep=st.sets(picks, max_size=3))
    def engine_lists_its_calls(self, keep: set[int]) -> None:
        calls = self.session.calls
        held = tuple(calls[k % len(calls)].call_id for k in keep) if calls else ()
        self.session.handle(p.EngineState(calls=held, accounts=()))

    @rule(lost=st.booleans())
    def engine_restarts(self, lost: bool) -> None:
        owed = {r for r, c in self.answered.items() if r not in self.completed}
        if lost:
            self.session.handle(p.CommandFailed("engine", "not restarting"))
        else:
            self.session.handle(p.EngineRestarted("killed", -9))
        assert self.session.calls == ()
        assert self.session.state is AgentState.OFFLINE
        assert owed <= {w.record_id for w in self.session.wrap_ups}

    @rule(down=st.booleans())
    def engine_reachable(self, down: bool) -> None:
        self.desk.engine.down = down

    # -- the agent -----------------------------------------------------------------------

    @precondition(lambda self: self.ids)
    @rule(
        n=picks,
        action=st.sampled_from(
            ["answer", "decline", "hangup", "hold", "resume", "mute", "unmute", "dtmf", "transfer"]
        ),
    )
    def agent_acts_on_a_call(self, n: int, action: str) -> None:
        call_id, s = self._pick(n), self.session
        was_live = call_id in {c.call_id for c in s.calls}
        done = {
            "answer": lambda: s.answer(call_id),
            "decline": lambda: s.decline(call_id),
            "hangup": lambda: s.hangup(call_id),
            "hold": lambda: s.hold(call_id),
            "resume": lambda: s.resume(call_id),
            "mute": lambda: s.mute(call_id, True),
            "unmute": lambda: s.mute(call_id, False),
            "dtmf": lambda: s.send_dtmf(call_id, "1#"),
            "transfer": lambda: s.blind_transfer(call_id, "sip:nurse@pbx"),
        }[action]()
        if not was_live:
            assert not done  # nothing happens to a call that is not live

    @rule(code=st.sampled_from(["break", "lunch", "training", "unknown"]))
    def not_ready(self, code: str) -> None:
        self.session.set_not_ready(code)

    @rule()
    def ready(self) -> None:
        self.session.go_ready()

    @precondition(lambda self: self.session.wrap_ups)
    @rule(n=picks)
    def dispose(self, n: int) -> None:
        items = self.session.wrap_ups
        record_id = items[n % len(items)].record_id
        assert self.session.complete_wrap_up(record_id)
        self.completed.add(record_id)

    @precondition(lambda self: self.session.wrap_ups)
    @rule(n=picks, twice=st.booleans(), notes=st.sampled_from(["", "left a message"]))
    def submit(self, n: int, twice: bool, notes: str) -> None:
        items = self.session.wrap_ups
        record_id = items[n % len(items)].record_id
        work = self.session.wrap_up_work(record_id)
        assert work is not None and work.call.record_id == record_id
        if work.code is None:
            assert work.problems() == {"code": "Choose a disposition code."}
            assert not work.submit()
            assert work.set_code(SYS_HANDLED.code)
        work.set_notes(notes)
        assert work.problems() == {}
        assert work.submit()
        if twice:  # a double click
            assert work.submit()
        self.submitted.add(record_id)
        self.completed.add(record_id)
        assert record_id not in {w.record_id for w in self.session.wrap_ups}

    @precondition(lambda self: self.session.wrap_ups)
    @rule()
    def countdown_runs_out(self) -> None:
        chosen = self.session.availability
        self.desk.clock.advance(121)
        status = self.session.poll()
        after = self.session.availability
        assert status.state is not AgentState.READY
        if chosen is None:
            assert after is not None and after.code == "disposition_pending"
        else:
            assert after == chosen  # the agent's own reason stays
        if self.session.registered and not self.session.calls:
            assert status.state is AgentState.NOT_READY and status.reason == after

    @rule(to=st.sampled_from(["+12025550143", "sip:nurse@pbx"]))
    def dial(self, to: str) -> None:
        call = self.session.dial(to)
        if call is not None:
            self.ids.append(call.call_id)

    @precondition(lambda self: self.session.calls)
    @rule(n=picks, to=st.sampled_from(["sip:nurse@pbx", "+12025550177"]))
    def consult(self, n: int, to: str) -> None:
        call = self.session.dial(to, consult_for=self._pick(n))
        if call is not None:
            self.ids.append(call.call_id)
            assert call.consult_of is not None and not call.needs_wrap_up

    @precondition(lambda self: len(self.ids) > 1)
    @rule(n=picks, m=picks)
    def warm_transfer(self, n: int, m: int) -> None:
        self.session.attended_transfer(self._pick(n), self._pick(m))

    @precondition(lambda self: len(self.ids) > 1)
    @rule(n=picks, m=picks)
    def merge(self, n: int, m: int) -> None:
        a, b = self._pick(n), self._pick(m)
        if self.session.merge(a, b):
            assert {c.call_id for c in self.session.conference} == {a, b}

    @rule()
    def leave_conference(self) -> None:
        members = self.session.conference
        self.session.leave_conference()
        assert all(c.hangup_requested or not c.live for c in members)

    @rule(seconds=st.sampled_from([0.5, 3.0, 11.0, 200.0]))
    def time_passes(self, seconds: float) -> None:
        self.desk.clock.advance(seconds)
        status = self.session.poll()
        assert status.elapsed_s >= 0

    @precondition(lambda self: self.ids)
    @rule(n=picks, right=st.booleans(), reveal=st.booleans())
    def identity(self, n: int, right: bool, reveal: bool) -> None:
        call_id = self._pick(n)
        if reveal:
            self.session.reveal(call_id, "caregiver-on-file")
        else:
            self.session.verify_identity(call_id, RECORD, RIGHT if right else WRONG)

    # -- invariants ----------------------------------------------------------------------

    @invariant()
    def never_ready_with_a_call_up(self) -> None:
        calls = self.session.calls
        if self.session.state is AgentState.READY:
            assert calls == ()
        if any(c.phase in CONNECTED for c in calls):
            assert self.session.state is AgentState.ON_CALL

    @invariant()
    def the_shown_availability_is_the_agents_choice(self) -> None:
        state, chosen = self.session.state, self.session.availability
        if state is AgentState.NOT_READY:
            assert chosen is not None and self.session.reason == chosen
        if state is AgentState.READY:
            assert chosen is None
        if self.session.incoming_policy is IncomingPolicy.ACCEPT:
            assert chosen is None and self.session.registered and not self.session.wrap_ups

    @invariant()
    def at_most_one_call_hears_the_agent(self) -> None:
        audible = [c for c in self.session.calls if c.phase in AUDIBLE]
        members = self.session.conference
        # The one exception: the two calls the agent merged into a conference.
        assert len(audible) <= 1 or (len(audible) == 2 and set(audible) == set(members))

    @invariant()
    def a_conference_is_two_live_answered_calls(self) -> None:
        members = self.session.conference
        assert len(members) in (0, 2)
        assert all(c.live and c.answered for c in members)

    @invariant()
    def an_ended_call_is_never_live(self) -> None:
        live = {c.record_id for c in self.session.calls}
        assert all(c.live for c in self.session.calls)
        assert not live & set(self.finished)
        assert all(not c.live for c in self.finished.values())
        assert not live & {w.record_id for w in self.session.wrap_ups}

    @invariant()
    def every_answered_call_leaves_a_record(self) -> None:
        live = {c.record_id for c in self.session.calls}
        owed = {w.record_id for w in self.session.wrap_ups}
        for record_id, call in self.answered.items():
            # A consult call's record is the one of the call it was placed for.
            assert (call.consult_of or record_id) in live | owed | self.completed
        assert all(not c.answered for c in self.session.missed)

    @invariant()
    def never_ready_while_a_wrap_up_is_owed(self) -> None:
        if self.session.wrap_ups:
            assert self.session.state is not AgentState.READY
            assert self.session.incoming_policy is not IncomingPolicy.ACCEPT
        status = self.session.status()
        if status.wrap_up_remaining_s == 0 and self.session.registered:
            # The countdown ran out: Not ready (or on a call, or ringing), never Wrap-up.
            assert self.session.state is not AgentState.WRAP_UP
            if self.session.state is AgentState.NOT_READY:
                assert self.session.availability is not None

    @invariant()
    def every_wrap_up_has_its_work(self) -> None:
        for item in self.session.wrap_ups:
            work = self.session.wrap_up_work(item.record_id)
            assert work is not None and work.call is item.call and not work.submitted

    @invariant()
    def each_disposed_call_has_exactly_one_record(self) -> None:
        records = [p for kind, p, _ in self.desk.outbox.items if kind == "disposition"]
        ids = [r["call_id"] for r in records]
        assert len(ids) == len(set(ids))
        assert set(ids) == self.submitted
        for record in records:
            call = self.finished.get(record["call_id"])
            assert call is not None and call.needs_wrap_up
            assert record["call"]["answered_at"] == call.answered_at
        for record_id, call in self.answered.items():
            if record_id in self.submitted:
                assert ids.count(record_id) == 1
            elif call.consult_of is None and record_id not in self.completed:
                assert record_id not in ids

    @invariant()
    def offline_without_a_phone_and_without_calls(self) -> None:
        if not self.session.registered and not any(c.offered for c in self.session.calls):
            assert self.session.state in (AgentState.OFFLINE, AgentState.ON_CALL)
        if self.session.state is AgentState.WRAP_UP:
            assert self.session.wrap_ups and self.session.registered

    @invariant()
    def the_journal_follows_every_change(self) -> None:
        entries = [e[1] for e in self.desk.outbox.items if e[0] == "agent_state"]
        if not entries:
            assert self.session.state is AgentState.OFFLINE
            return
        last = entries[-1]
        reason = self.session.reason
        assert (last["state"], last["reason"]) == (
            self.session.state.value,
            None if reason is None else reason.code,
        )
        for before, after in itertools.pairwise(entries):
            assert (after["previous"], after["previous_reason"]) == (
                before["state"],
                before["reason"],
            )
            assert (after["state"], after["reason"]) != (before["state"], before["reason"])

    @invariant()
    def identity_stays_within_its_rules(self) -> None:
        for call in self.session.calls:
            status: Any = call.identity
            assert status.failed_attempts <= 3
            if status.state is Verification.LOCKED:
                assert status.failed_attempts == 3 and not status.sensitive_visible
            if call.phase is CallPhase.ENDED:
                raise AssertionError("an ended call among the live ones")
        for event in self.desk.audit.events:
            assert event["reason"].startswith("call ")
            assert "Oskarsd" not in event["reason"] and "+1" not in event["reason"]


DeskRules.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
test_desk_rules = DeskRules.TestCase
