"""The desk's main paths: states and their journal entries, calls, call waiting, wrap-ups."""

from __future__ import annotations

import pytest

from agent_app.telephony import protocol as p
from agent_app.workflow.agent_session import SIGNED_IN
from agent_app.workflow.agent_state import AgentState, IncomingPolicy
from agent_app.workflow.call_session import CallPhase
from agent_app.workflow.desk_settings import DESK_LOCKED
from agent_app.workflow.events import (
    AgentStateChanged,
    CallAdded,
    CallFinished,
    Problem,
    WrapUpAdded,
    WrapUpDone,
)
from agent_app.workflow.identity import Claim
from agent_app.workflow.identity_gate import MatchKind, Verification
from tests.unit.workflow.fakes import ACCOUNT, BREAK, LOCKED_NUMBER, LUNCH, make_desk, patient


def test_a_shift_starts_offline_then_not_ready_until_the_agent_chooses_ready() -> None:
    desk = make_desk(ready=False, registered=False)
    session = desk.session
    assert (session.state, session.availability) == (AgentState.OFFLINE, SIGNED_IN)
    desk.register()
    assert (session.state, session.reason) == (AgentState.NOT_READY, SIGNED_IN)
    assert session.go_ready()
    assert not session.go_ready()
    assert session.state is AgentState.READY
    assert desk.outbox.states() == ["not_ready", "ready"]
    kind, payload, call_id = desk.outbox.items[-1]
    assert (kind, call_id) == ("agent_state", None)
    assert payload["previous"] == "not_ready" and payload["previous_reason"] == "signed_in"
    assert payload["at"].endswith("Z")


def test_a_locked_desk_is_not_ready_and_refuses_ready_until_it_opens() -> None:
    desk = make_desk()
    session = desk.session
    assert session.state is AgentState.READY
    session.lock_desk()
    assert (session.state, session.reason) == (AgentState.NOT_READY, DESK_LOCKED)
    assert not session.go_ready()
    problems = [e.message for e in desk.events if isinstance(e, Problem)]
    assert problems == ["The desk is locked: no calls until the patient store opens again."]
    session.unlock_desk()
    assert session.state is AgentState.NOT_READY, "the agent chooses when to take calls"
    assert session.go_ready()
    assert desk.outbox.states()[-2:] == ["not_ready", "ready"]


def test_a_whole_inbound_call_from_ring_to_ready() -> None:
    desk = make_desk()
    session, engine = desk.session, desk.engine
    desk.lookup.numbers["+12025550143"] = ["pat-1"]
    desk.ring("c1")
    [call] = session.calls
    assert (session.state, call.match.kind, call.patient_id) == (
        AgentState.RINGING,
        MatchKind.ONE,
        "pat-1",
    )
    assert session.answer("c1")
    assert engine.commands == [p.Answer("c1")]
    assert session.state is AgentState.ON_CALL  # answered, not yet confirmed
    desk.confirm("c1")
    assert call.phase is CallPhase.TALKING and session.active_call is call
    status = session.verify_identity(
        "c1", patient(), Claim(family_name="Oskarsdottir Lind", mrn="mrn 0042 17")
    )
    assert status is not None and status.state is Verification.VERIFIED
    assert session.hangup("c1")
    assert session.calls == (call,)  # live until the engine says it ended
    desk.end("c1", "local")
    assert session.calls == ()
    assert session.state is AgentState.WRAP_UP
    [item] = session.wrap_ups
    assert item.record_id == call.record_id and item.call.patient_id == "pat-1"
    assert session.complete_wrap_up(call.record_id)
    assert not session.complete_wrap_up(call.record_id)
    assert session.state is AgentState.READY
    assert desk.outbox.states() == ["not_ready", "ready", "ringing", "on_call", "wrap_up", "ready"]
    on_call = [i for i in desk.outbox.items if i[1]["state"] == "on_call"]
    assert on_call[0][2] == call.record_id  # the entry names the call's record
    assert desk.audit.events[0]["reason"] == f"call {call.record_id}"


def test_listeners_hear_each_change_once_it_is_complete() -> None:
    desk = make_desk()
    seen: list[tuple[str, AgentState]] = []
    desk.session.subscribe(lambda e: seen.append((type(e).__name__, desk.session.state)))
    desk.ring("c1")
    # When CallAdded is delivered the state already says Ringing.
    assert seen == [("CallAdded", AgentState.RINGING), ("AgentStateChanged", AgentState.RINGING)]
    desk.session.answer("c1")
    desk.confirm("c1")
    desk.end("c1")
    kinds = [type(e) for e in desk.events]
    assert kinds.index(CallFinished) < kinds.index(WrapUpAdded)
    desk.session.complete_wrap_up(desk.session.wrap_ups[0].record_id)
    assert isinstance(desk.events[-2], WrapUpDone)
    assert isinstance(desk.events[-1], AgentStateChanged)


@pytest.mark.allow_log_errors
def test_an_unsubscribed_listener_hears_nothing_and_a_failing_one_stops_no_other(
    caplog: pytest.LogCaptureFixture,
) -> None:
    desk = make_desk()
    heard: list[object] = []
    stop = desk.session.subscribe(heard.append)
    stop()
    stop()

    def broken(event: object) -> None:
        raise RuntimeError("a view bug")

    desk.session.subscribe(broken)
    desk.ring("c1")
    assert heard == []
    assert any("listener failed on CallAdded" in r.getMessage() for r in caplog.records)
    assert any(isinstance(e, CallAdded) for e in desk.events)


def test_not_ready_answers_new_calls_busy_here_without_looking_them_up() -> None:
    desk = make_desk()
    session = desk.session
    assert session.set_not_ready("break")
    assert not session.set_not_ready("break")
    assert not session.set_not_ready("no-such-code")
    assert session.incoming_policy is IncomingPolicy.BUSY_HERE
    desk.ring("c1")
    assert desk.engine.commands == [p.Decline("c1", 486)]
    assert session.calls == () and session.state is AgentState.NOT_READY
    assert desk.lookup.asked == []
    [missed] = session.missed
    assert (missed.refused, missed.end_reason) == (True, "refused")
    assert any(isinstance(e, CallFinished) for e in desk.events)
    desk.end("c1", "local", 486)  # the engine's confirmation changes nothing
    assert session.missed == (missed,)


def test_ring_and_decline_shows_the_call_then_declines_it() -> None:
    desk = make_desk(not_ready_policy=IncomingPolicy.RING_AND_DECLINE, ring_and_decline_s=8)
    session = desk.session
    session.set_not_ready("lunch")
    desk.ring("c1")
    [call] = session.calls
    assert session.state is AgentState.NOT_READY  # declining calls leave the state alone
    assert call.declining_at is not None and not call.offered
    desk.clock.advance(7)
    session.poll()
    assert session.calls == (call,)
    desk.clock.advance(1)
    session.poll()
    assert session.calls == () and call.refused
    assert desk.engine.commands == [p.Decline("c1", 486)]
    assert session.reason_totals() == {"signed_in": 0, "lunch": 8}


def test_going_ready_offers_a_call_that_was_to_be_declined() -> None:
    desk = make_desk(not_ready_policy=IncomingPolicy.RING_AND_DECLINE)
    desk.session.set_not_ready("break")
    desk.ring("c1")
    desk.session.go_ready()
    [call] = desk.session.calls
    assert call.offered and desk.session.state is AgentState.RINGING
    desk.clock.advance(60)
    desk.session.poll()
    assert desk.session.calls == (call,)


def test_not_ready_during_a_call_takes_effect_after_the_wrap_up() -> None:
    desk = make_desk()
    desk.connect("c1")
    desk.session.set_not_ready("break")
    assert desk.session.state is AgentState.ON_CALL
    desk.end("c1")
    assert desk.session.state is AgentState.WRAP_UP
    desk.session.complete_wrap_up(desk.session.wrap_ups[0].record_id)
    assert (desk.session.state, desk.session.reason) == (AgentState.NOT_READY, BREAK)


def test_answering_a_waiting_call_holds_the_first() -> None:
    desk = make_desk()
    session, engine = desk.session, desk.engine
    desk.connect("c1")
    desk.ring("c2")
    first, second = session.calls
    assert second.waiting and session.state is AgentState.ON_CALL
    engine.commands.clear()
    assert session.answer("c2")
    assert engine.commands == [p.Hold("c1"), p.Answer("c2")]
    assert (first.phase, second.phase) == (CallPhase.HELD, CallPhase.ANSWERING)
    desk.confirm("c2")
    engine.commands.clear()
    assert session.resume("c1")  # swap back
    assert engine.commands == [p.Hold("c2"), p.Resume("c1")]
    assert session.active_call is first


def test_no_second_call_is_taken_while_one_is_being_connected() -> None:
    desk = make_desk()
    desk.ring("c1")
    desk.session.answer("c1")
    desk.ring("c2")
    assert not desk.session.answer("c2")
    assert isinstance(desk.events[-1], Problem)
    assert desk.engine.commands == [p.Answer("c1")]


def test_a_call_the_engine_connects_by_itself_pushes_the_other_to_hold() -> None:
    desk = make_desk()
    desk.connect("c1")
    desk.ring("c2")
    desk.confirm("c2")
    first, second = desk.session.calls
    assert (first.phase, second.phase) == (CallPhase.HELD, CallPhase.TALKING)
    assert desk.engine.commands[-1] == p.Hold("c1")


def test_call_waiting_off_refuses_a_second_call() -> None:
    desk = make_desk(call_waiting=False)
    desk.connect("c1")
    desk.ring("c2")
    assert desk.engine.commands[-1] == p.Decline("c2", 486)
    assert len(desk.session.calls) == 1


def test_a_caller_who_gives_up_is_a_missed_call_and_leaves_no_wrap_up() -> None:
    desk = make_desk()
    desk.ring("c1")
    desk.end("c1", "remote", 487)
    assert desk.session.state is AgentState.READY
    assert desk.session.wrap_ups == () and len(desk.session.missed) == 1


def test_an_engine_restart_ends_the_calls_keeps_the_records_and_goes_offline() -> None:
    desk = make_desk()
    session = desk.session
    desk.connect("c1")
    desk.ring("c2")
    answered, ringing = session.calls
    session.handle(p.EngineRestarted("the engine process was killed by signal 9", -9))
    assert session.calls == ()
    assert (answered.end_reason, ringing.end_reason) == ("engine_restart", "engine_restart")
    assert session.state is AgentState.OFFLINE
    assert [w.call for w in session.wrap_ups] == [answered]
    assert session.missed == (ringing,)
    desk.confirm("c1")  # late events of the dead engine change nothing
    assert session.calls == ()
    desk.ring("c3")  # not registered: refused
    assert desk.engine.commands[-1] == p.Decline("c3", 486)
    desk.register()
    assert session.state is AgentState.WRAP_UP


def test_an_engine_that_cannot_restart_takes_the_calls_with_it() -> None:
    desk = make_desk()
    desk.connect("c1")
    desk.session.handle(p.CommandFailed("engine", "the engine process exited (1); not restarting"))
    assert desk.session.calls == () and desk.session.state is AgentState.OFFLINE
    assert len(desk.session.wrap_ups) == 1
    assert any(isinstance(e, Problem) and "restarted" in e.message for e in desk.events)


def test_calls_the_engine_no_longer_holds_are_ended() -> None:
    desk = make_desk()
    desk.connect("c1")
    desk.ring("c2")
    desk.session.handle(p.EngineState(calls=("c2",), accounts=(ACCOUNT,)))
    [left] = desk.session.calls
    assert left.call_id == "c2"
    assert desk.session.wrap_ups[0].call.end_reason == "lost"


def test_losing_the_registration_shows_offline_but_keeps_the_call() -> None:
    desk = make_desk()
    desk.connect("c1")
    desk.register("failed")
    assert desk.session.state is AgentState.ON_CALL
    desk.end("c1")
    assert desk.session.state is AgentState.OFFLINE
    desk.register()
    assert desk.session.state is AgentState.WRAP_UP


def test_other_accounts_do_not_make_the_phone_registered() -> None:
    desk = make_desk(registered=False)
    desk.session.handle(p.RegistrationChanged("someone-else", "registered"))
    assert desk.session.state is AgentState.OFFLINE


def test_an_unreachable_engine_is_reported_and_nothing_is_pretended() -> None:
    desk = make_desk()
    desk.ring("c1")
    desk.engine.down = True
    desk.session.answer("c1")
    assert any(isinstance(e, Problem) and "not available" in e.message for e in desk.events)


def test_a_failed_hold_is_reported_and_the_caller_muted() -> None:
    desk = make_desk()
    desk.connect("c1")
    desk.session.hold("c1")
    desk.session.handle(p.CommandFailed("hold", "488", "c1"))
    assert desk.engine.commands[-1] == p.Mute("c1", True)
    assert any(isinstance(e, Problem) and e.call_id == "c1" for e in desk.events)


def test_family_phones_and_unknown_numbers_are_never_linked_by_themselves() -> None:
    desk = make_desk()
    desk.lookup.numbers["+12025550143"] = ["pat-1", "pat-2"]
    desk.ring("c1")
    desk.ring("c2", "+12025550999")
    desk.ring("c3", LOCKED_NUMBER)
    desk.ring("c4", "")
    kinds = [(c.match.kind, c.patient_id) for c in desk.session.calls]
    assert kinds == [
        (MatchKind.SEVERAL, None),
        (MatchKind.NONE, None),
        (MatchKind.UNAVAILABLE, None),
        (MatchKind.NONE, None),
    ]
    assert desk.session.choose_patient("c1", "pat-2")
    assert desk.session.calls[0].patient_id == "pat-2"


def test_a_patient_can_be_chosen_during_wrap_up_but_not_verified() -> None:
    desk = make_desk()
    desk.connect("c1")
    desk.end("c1")
    assert desk.session.choose_patient("c1", "pat-3")
    assert desk.session.call("c1") is desk.session.wrap_ups[0].call
    claim = Claim(family_name="Oskarsdottir-Lind", birth_date="1961-07-04")
    assert desk.session.verify_identity("c1", patient(id="pat-3"), claim) is None


def test_an_audit_sink_that_fails_stops_the_reveal_and_says_so() -> None:
    desk = make_desk()
    desk.connect("c1")
    desk.session.choose_patient("c1", "pat-1")
    desk.audit.fail = True
    assert not desk.session.reveal("c1", "caregiver-on-file")
    claim = Claim(family_name="Oskarsdottir-Lind", birth_date="1961-07-04")
    assert desk.session.verify_identity("c1", patient(), claim) is None
    assert desk.session.calls[0].identity.state is Verification.UNVERIFIED
    assert sum(isinstance(e, Problem) for e in desk.events) == 2


def test_a_journal_that_fails_does_not_stop_the_desk() -> None:
    desk = make_desk()
    desk.outbox.fail = True
    desk.ring("c1")
    assert desk.session.state is AgentState.RINGING
    assert isinstance(desk.events[-1], Problem)


def test_status_timers_overdue_and_wrap_up_countdown() -> None:
    desk = make_desk(wrap_up_limit_s=60)
    session = desk.session
    session.set_not_ready("break")
    desk.clock.advance(901)
    status = session.poll()
    assert (status.state, status.reason, status.overdue) == (AgentState.NOT_READY, BREAK, True)
    assert status.elapsed_s == 901 and session.time_in_state() == 901
    session.set_not_ready("lunch")
    assert not session.status().overdue  # lunch has no limit
    session.go_ready()
    desk.connect("c1")
    desk.end("c1")
    desk.clock.advance(45)
    assert session.status().wrap_up_remaining_s == 15
    desk.clock.advance(100)
    assert session.status().wrap_up_remaining_s == 0
    assert session.state is AgentState.WRAP_UP  # the countdown never disposes by itself


def test_reasons_from_the_server_replace_the_list_and_keep_the_choice() -> None:
    desk = make_desk()
    desk.session.set_not_ready("lunch")
    longer = type(LUNCH)("lunch", "Lunch", limit_s=1800)
    desk.session.set_reasons([longer])
    assert desk.session.availability == longer
    assert desk.session.reasons == (longer,)
    assert not desk.session.set_not_ready("break")


def test_an_outbound_attempt_always_leaves_a_wrap_up() -> None:
    desk = make_desk()
    desk.session.set_not_ready("training")
    call = desk.session.dial(" +12025550123 ")
    assert call is not None
    [dial] = desk.engine.sent(p.Dial)
    assert (dial.account_id, dial.target, dial.call_id) == (ACCOUNT, "+12025550123", call.call_id)
    assert desk.session.state is AgentState.ON_CALL
    desk.end(call.call_id, "remote", 486)  # busy: never answered
    assert [w.call for w in desk.session.wrap_ups] == [call]


def test_no_dialling_without_a_registered_phone() -> None:
    desk = make_desk(registered=False)
    assert desk.session.dial("+12025550123") is None
    assert desk.engine.commands == []


def test_a_consult_call_holds_the_call_in_progress() -> None:
    desk = make_desk()
    desk.connect("c1")
    call = desk.session.dial("sip:nurse-line@pbx")
    assert call is not None
    assert desk.engine.commands[-2:] == [
        p.Hold("c1"),
        p.Dial(call.call_id, ACCOUNT, "sip:nurse-line@pbx"),
    ]


def test_a_replaced_call_hands_over_to_its_replacement() -> None:
    desk = make_desk()
    desk.connect("c1")
    desk.session.handle(p.CallReplaced("c1", "c9"))
    [new] = desk.session.calls
    assert (new.call_id, new.phase) == ("c9", CallPhase.ANSWERING)
    assert desk.session.wrap_ups[0].call.end_reason == "replaced"
    desk.confirm("c9")
    assert new.phase is CallPhase.TALKING


def test_a_transfer_request_from_the_peer_places_the_new_call() -> None:
    desk = make_desk()
    desk.connect("c1")
    desk.session.handle(p.TransferRequested("c1", "c8", "sip:desk2@pbx"))
    old, new = desk.session.calls
    assert (old.phase, new.phase, new.agent_dialed) == (CallPhase.HELD, CallPhase.DIALING, False)
    desk.end("c8", "remote", 404)
    assert all(w.call is not new for w in desk.session.wrap_ups)


def test_the_engines_final_event_names_why_a_disconnected_call_ended() -> None:
    desk = make_desk()
    desk.connect("c1")
    desk.session.blind_transfer("c1", "sip:nurse-line@pbx")
    desk.session.handle(p.TransferProgress("c1", 200, "OK", True))
    desk.session.handle(p.CallStateChanged("c1", "disconnected", 200, "OK"))
    [item] = desk.session.wrap_ups
    assert item.call.end_reason == "remote"
    desk.end("c1", "transferred")
    assert item.call.end_reason == "transferred"
    desk.end("c1", "error", 500)  # only the first final event counts
    assert item.call.end_reason == "transferred"


def test_after_a_restart_a_wrap_up_is_named_by_its_record_id() -> None:
    desk = make_desk(not_ready_policy=IncomingPolicy.RING_AND_DECLINE)
    desk.connect("c1")
    desk.session.handle(p.EngineRestarted("killed", -9))
    desk.register()
    desk.ring("c1")  # the new engine gives out the same call id again
    [old] = [w.call for w in desk.session.wrap_ups]
    [new] = desk.session.calls
    assert desk.session.call("c1") is new
    assert desk.session.call(old.record_id) is old
    assert desk.session.choose_patient(old.record_id, "pat-5")
    assert (old.patient_id, new.patient_id) == ("pat-5", None)
    desk.end("c1", "remote", 487)  # the new call's end does not touch the old record
    assert old.end_reason == "engine_restart"
