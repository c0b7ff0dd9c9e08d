"""Consult calls, warm transfer, the 3-way conference, auto-answer and the desk's focus."""

from __future__ import annotations

from agent_app.telephony import protocol as p
from agent_app.workflow.agent_state import AgentState, IncomingPolicy
from agent_app.workflow.call_session import AUDIBLE, CallPhase, CallSession, TransferState
from tests.unit.workflow.fakes import Desk, make_desk

NURSE = "sip:nurse@pbx"


def _consulting(desk: Desk) -> tuple[CallSession, CallSession]:
    desk.connect("c1")
    consult = desk.session.dial(NURSE, consult_for="c1")
    assert consult is not None
    desk.confirm(consult.call_id)
    [first] = [c for c in desk.session.calls if c.call_id == "c1"]
    return first, consult


def test_a_consult_call_holds_the_caller_and_owes_no_wrap_up_of_its_own() -> None:
    desk = make_desk()
    first, consult = _consulting(desk)
    assert first.phase is CallPhase.HELD and consult.phase is CallPhase.TALKING
    assert consult.consult_of == first.record_id
    assert desk.session.consultation == (first, consult)
    assert desk.session.focus is consult
    desk.end(consult.call_id)
    assert desk.session.consultation is None
    assert [w.record_id for w in desk.session.wrap_ups] == []  # the caller is still live
    assert desk.session.focus is first


def test_a_consult_needs_a_live_call_to_be_about() -> None:
    desk = make_desk()
    assert desk.session.dial(NURSE, consult_for="nobody") is None
    assert desk.engine.sent(p.Dial) == []


def test_warm_transfer_hands_the_caller_to_the_consulted_party() -> None:
    desk = make_desk()
    first, consult = _consulting(desk)
    assert desk.session.attended_transfer("c1", consult.call_id)
    assert desk.engine.commands[-1] == p.AttendedTransfer("c1", consult.call_id)
    assert first.transfer is TransferState.IN_PROGRESS
    assert not desk.session.attended_transfer("c1", consult.call_id), "one transfer at a time"
    desk.session.handle(p.TransferProgress("c1", 200, "OK", True))
    desk.end("c1", "transferred")
    desk.end(consult.call_id)
    assert desk.session.calls == ()
    assert [w.record_id for w in desk.session.wrap_ups] == [first.record_id]


def test_a_refused_warm_transfer_leaves_the_caller_with_the_agent() -> None:
    desk = make_desk()
    first, consult = _consulting(desk)
    desk.session.attended_transfer("c1", consult.call_id)
    desk.session.handle(p.CommandFailed("attended_transfer", "refused", "c1"))
    assert first.transfer is TransferState.FAILED and first.live


def test_merge_makes_a_conference_in_which_both_calls_hear_the_agent() -> None:
    desk = make_desk()
    first, consult = _consulting(desk)
    assert desk.session.merge("c1", consult.call_id)
    assert p.Resume("c1") in desk.engine.commands
    assert desk.engine.commands[-1] == p.Conference(("c1", consult.call_id))
    assert {c.phase for c in desk.session.calls} == {CallPhase.TALKING}
    assert set(desk.session.conference) == {first, consult}
    assert desk.session.state is AgentState.ON_CALL
    assert desk.session.consultation is None, "merged: no longer a consultation"


def test_muting_in_a_conference_mutes_the_one_microphone_on_every_leg() -> None:
    desk = make_desk()
    first, consult = _consulting(desk)
    desk.session.merge("c1", consult.call_id)
    assert desk.session.mute(consult.call_id, True)
    assert first.muted and consult.muted


def test_holding_a_conference_holds_both_and_ends_it() -> None:
    desk = make_desk()
    first, consult = _consulting(desk)
    desk.session.merge("c1", consult.call_id)
    assert desk.session.hold("c1")
    assert {c.phase for c in desk.session.calls} == {CallPhase.HELD}
    assert desk.session.conference == ()
    assert desk.session.resume("c1")
    assert first.phase is CallPhase.TALKING and consult.phase is CallPhase.HELD


def test_a_party_leaving_the_conference_leaves_a_plain_call() -> None:
    desk = make_desk()
    first, consult = _consulting(desk)
    desk.session.merge("c1", consult.call_id)
    desk.end(consult.call_id)
    assert desk.session.conference == ()
    assert first.phase is CallPhase.TALKING and desk.session.active_call is first


def test_answering_another_call_takes_the_agent_out_of_the_conference() -> None:
    desk = make_desk()
    _consulting(desk)
    consult = desk.session.calls[-1]
    desk.session.merge("c1", consult.call_id)
    desk.ring("c9", "+12025550199")
    assert desk.session.answer("c9")
    assert desk.session.conference == ()
    assert sum(c.phase in AUDIBLE for c in desk.session.calls) == 1


def test_leaving_the_conference_hangs_up_every_leg() -> None:
    desk = make_desk()
    _, consult = _consulting(desk)
    desk.session.merge("c1", consult.call_id)
    assert desk.session.leave_conference()
    assert set(desk.engine.sent(p.Hangup)) == {p.Hangup("c1"), p.Hangup(consult.call_id)}
    assert not desk.session.leave_conference(), "nothing left to hang up"


def test_merge_needs_two_answered_calls() -> None:
    desk = make_desk()
    desk.connect("c1")
    consult = desk.session.dial(NURSE, consult_for="c1")
    assert consult is not None
    assert not desk.session.merge("c1", consult.call_id), "the nurse line has not answered"
    assert not desk.session.merge("c1", "c1")
    assert desk.session.conference == ()


def test_auto_answer_takes_a_call_after_its_short_ring() -> None:
    desk = make_desk(auto_answer_s=1.0)
    desk.ring("c1")
    [call] = desk.session.calls
    assert call.auto_answer_at is not None
    desk.session.poll()
    assert call.phase is CallPhase.RINGING
    desk.clock.advance(1.0)
    desk.session.poll()
    assert call.phase is CallPhase.ANSWERING
    assert desk.engine.commands == [p.Answer("c1")]


def test_auto_answer_never_takes_a_waiting_call_nor_one_for_an_agent_gone_not_ready() -> None:
    desk = make_desk(auto_answer_s=1.0)
    desk.connect("c1")
    desk.ring("c2")
    waiting = desk.session.call("c2")
    assert waiting is not None and waiting.auto_answer_at is None
    other = make_desk(auto_answer_s=1.0)
    other.ring("c1")
    other.session.set_not_ready("break")
    other.clock.advance(5)
    other.session.poll()
    assert other.session.calls[0].phase is CallPhase.RINGING


def test_auto_answer_is_off_for_ring_and_decline() -> None:
    desk = make_desk(
        ready=False, auto_answer_s=1.0, not_ready_policy=IncomingPolicy.RING_AND_DECLINE
    )
    desk.ring("c1")
    assert desk.session.calls[0].auto_answer_at is None


def test_focus_and_the_offered_call() -> None:
    desk = make_desk()
    assert desk.session.focus is None and desk.session.offered_call is None
    desk.ring("c1")
    assert desk.session.offered_call is desk.session.focus is desk.session.call("c1")
    desk.session.answer("c1")
    desk.confirm("c1")
    desk.ring("c2")
    assert desk.session.offered_call is desk.session.call("c2")
    assert desk.session.focus is desk.session.call("c1"), "the call in progress stays in view"
    assert desk.session.busy


def test_the_desk_is_busy_during_calls_and_after_call_work_only() -> None:
    desk = make_desk()
    assert not desk.session.busy
    desk.connect("c1")
    assert desk.session.busy
    desk.end("c1")
    assert desk.session.busy, "after-call work is work"
    desk.session.complete_wrap_up(desk.session.wrap_ups[0].record_id)
    assert not desk.session.busy
