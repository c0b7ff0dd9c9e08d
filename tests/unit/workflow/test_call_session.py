"""One call's phases, the commands they send, its patient match and the identity gate."""

from __future__ import annotations

import uuid

import pytest

from agent_app.store.errors import DiskFullError
from agent_app.telephony import protocol as p
from agent_app.workflow.call_session import CallPhase, CallSession, Direction, TransferState
from agent_app.workflow.identity import BIRTH_DATE, Claim
from agent_app.workflow.identity_gate import MatchKind, PatientMatch, Verification
from tests.unit.workflow.fakes import FakeAudit, ManualClock, ServerTime, patient

NUMBER = "+12025550143"
RIGHT = Claim(family_name="oskarsdottir lind", birth_date="07/04/1961")
WRONG = Claim(family_name="oskarsdottir lind", birth_date="07/05/1961")


def make_call(
    *, clock: ManualClock | None = None, audit: FakeAudit | None = None, max_attempts: int = 3
) -> CallSession:
    return CallSession(
        call_id="c1",
        direction=Direction.INBOUND,
        number=NUMBER,
        display_name="Caller Name",
        clock=clock or ManualClock(),
        server_now=ServerTime(),
        audit=audit or FakeAudit(),
        max_attempts=max_attempts,
    )


def talking(*, audit: FakeAudit | None = None, max_attempts: int = 3) -> CallSession:
    call = make_call(audit=audit, max_attempts=max_attempts)
    call.answer()
    call.apply(p.CallStateChanged("c1", "confirmed"))
    return call


def test_an_inbound_call_rings_then_is_answered_then_confirmed() -> None:
    clock = ManualClock()
    call = make_call(clock=clock)
    assert uuid.UUID(call.record_id).version == 4
    assert (call.phase, call.offered, call.answered) == (CallPhase.RINGING, True, False)
    assert call.answer() == [p.Answer("c1")]
    assert call.phase is CallPhase.ANSWERING
    assert call.answer() == []  # a second click does nothing
    clock.advance(2)
    call.apply(p.CallStateChanged("c1", "confirmed", 200, "OK"))
    assert (call.phase, call.answered) == (CallPhase.TALKING, True)
    clock.advance(30)
    assert call.talk_time() == 30
    assert call.time_in_phase() == 30


def test_hold_resume_mute_and_dtmf_send_their_commands() -> None:
    call = talking()
    assert call.hold() == [p.Hold("c1")]
    assert call.phase is CallPhase.HELD
    assert call.mute(True) == [p.Mute("c1", True)]  # mute is allowed on hold
    assert call.mute(True) == []
    assert call.send_dtmf("1") == []  # not while held
    assert call.resume() == [p.Resume("c1")]
    assert call.muted  # the mute outlives hold and resume
    assert call.send_dtmf("12#") == [p.SendDtmf("c1", "12#")]
    assert call.send_dtmf("12x") == []


def test_an_ended_call_never_comes_back() -> None:
    call = talking()
    call.apply(p.CallEnded("c1", 200, "BYE", "remote", 12.0))
    assert (call.phase, call.end_reason, call.live) == (CallPhase.ENDED, "remote", False)
    for event in (
        p.CallStateChanged("c1", "confirmed"),
        p.MediaChanged("c1", "active"),
        p.TransferProgress("c1", 200, "OK", True),
    ):
        assert call.apply(event) == []
        assert call.phase is CallPhase.ENDED
    assert (call.hold(), call.resume(), call.hangup(), call.answer()) == ([], [], [], [])
    assert call.ended_at is not None


def test_a_disconnect_ends_the_call_and_the_final_event_names_the_cause() -> None:
    call = talking()
    call.apply(p.CallStateChanged("c1", "disconnected", 408, "Timeout"))
    assert (call.phase, call.end_reason) == (CallPhase.ENDED, "remote")
    call.apply(p.CallEnded("c1", 408, "no RTP", "media_timeout"))
    assert (call.end_reason, call.end_code) == ("media_timeout", 408)


def test_a_declined_call_stays_declined_when_the_engine_confirms() -> None:
    call = make_call()
    assert call.decline() == [p.Decline("c1", 486)]
    call.apply(p.CallEnded("c1", 486, "Busy Here", "local"))
    assert call.end_reason == "declined"
    assert not call.needs_wrap_up


def test_a_hangup_waits_for_the_engine() -> None:
    call = talking()
    assert call.hangup() == [p.Hangup("c1")]
    assert call.hangup() == []
    assert call.live and call.hangup_requested
    call.apply(p.CommandFailed("hangup", "no call", "c1"))
    assert not call.hangup_requested
    assert call.hangup() == [p.Hangup("c1")]


def test_a_failed_hold_mutes_the_caller_until_resumed() -> None:
    call = talking()
    call.hold()
    assert call.apply(p.CommandFailed("hold", "re-INVITE refused", "c1")) == [p.Mute("c1", True)]
    assert call.phase is CallPhase.HELD and call.hold_failed
    assert call.resume() == [p.Resume("c1"), p.Mute("c1", False)]
    assert not call.hold_failed


def test_failed_commands_undo_what_they_announced() -> None:
    call = make_call()
    call.answer()
    call.apply(p.CommandFailed("answer", "gone", "c1"))
    assert call.phase is CallPhase.RINGING
    call = talking()
    call.hold()
    call.apply(p.MediaChanged("c1", "local_hold"))
    call.resume()
    call.apply(p.CommandFailed("resume", "refused", "c1"))
    assert call.phase is CallPhase.HELD
    call.mute(True)
    call.apply(p.CommandFailed("mute", "refused", "c1"))
    assert not call.muted


def test_media_loss_shows_while_talking() -> None:
    call = talking()
    call.apply(p.MediaChanged("c1", "active"))
    assert not call.media_lost
    call.apply(p.MediaChanged("c1", "error"))
    assert call.media_lost
    call.apply(p.MediaChanged("c1", "active"))
    assert not call.media_lost


def test_transfer_results() -> None:
    call = talking()
    assert call.blind_transfer(" sip:nurse@pbx ") == [p.BlindTransfer("c1", "sip:nurse@pbx")]
    assert call.blind_transfer("sip:other@pbx") == []  # one at a time
    call.apply(p.TransferProgress("c1", 180, "Ringing", False))
    assert call.transfer is TransferState.IN_PROGRESS
    call.apply(p.TransferProgress("c1", 486, "Busy", True))
    assert (call.transfer, call.transfer_code) == (TransferState.FAILED, 486)
    call.blind_transfer("sip:nurse@pbx")
    call.apply(p.TransferProgress("c1", 200, "OK", True))
    assert call.transfer is TransferState.DONE
    call.apply(p.CallEnded("c1", 200, "transferred", "transferred"))
    assert call.end_reason == "transferred" and call.needs_wrap_up


def test_only_one_match_links_the_call() -> None:
    call = make_call()
    call.set_match(PatientMatch.of(["pat-1", "pat-2", "pat-1"]))
    assert (call.match.kind, call.match.candidates) == (MatchKind.SEVERAL, ("pat-1", "pat-2"))
    assert call.patient_id is None
    call = make_call()
    call.set_match(PatientMatch.of(["pat-1"]))
    assert call.patient_id == "pat-1"
    assert PatientMatch.of([]).kind is MatchKind.NONE


def test_verification_is_audited_with_ids_only_and_unmasks() -> None:
    audit = FakeAudit()
    call = talking(audit=audit)
    status = call.verify(patient(), RIGHT)
    assert (status.state, status.sensitive_visible, call.patient_id) == (
        Verification.VERIFIED,
        True,
        "pat-1",
    )
    assert audit.events == [
        {
            "action": "verify_identity",
            "patient_id": "pat-1",
            "reason": f"call {call.record_id}",
            "result": "verified",
        }
    ]


def test_failed_attempts_count_and_lock_the_call() -> None:
    audit = FakeAudit()
    call = talking(audit=audit, max_attempts=3)
    for attempt in (1, 2):
        status = call.verify(patient(), WRONG)
        assert (status.state, status.failed_attempts) == (Verification.UNVERIFIED, attempt)
        assert status.last_check is not None and status.last_check.mismatched == (BIRTH_DATE,)
    # Another member of the household does not reset the count.
    call.choose_patient("pat-2")
    assert call.identity.failed_attempts == 2
    status = call.verify(patient(), WRONG)
    assert (status.state, status.sensitive_visible) == (Verification.LOCKED, False)
    assert call.verify(patient(), RIGHT).state is Verification.LOCKED
    assert not call.reveal("caregiver-on-file")
    assert [e["result"] for e in audit.events] == [
        "not verified (1 of 3)",
        "not verified (2 of 3)",
        "not verified (3 of 3)",
    ]


def test_too_few_identifiers_is_not_an_attempt() -> None:
    audit = FakeAudit()
    call = talking(audit=audit)
    status = call.verify(patient(), Claim(family_name="Lind"))
    assert (status.state, status.failed_attempts, audit.events) == (Verification.UNVERIFIED, 0, [])


def test_nothing_is_verified_or_revealed_without_its_audit_event() -> None:
    audit = FakeAudit(fail=True)
    call = talking(audit=audit)
    with pytest.raises(DiskFullError):
        call.verify(patient(), RIGHT)
    call.choose_patient("pat-1")
    with pytest.raises(DiskFullError):
        call.reveal("caregiver-on-file")
    assert call.identity.state is Verification.UNVERIFIED


def test_a_reveal_needs_a_patient_and_a_reason_and_is_audited() -> None:
    audit = FakeAudit()
    call = talking(audit=audit)
    assert not call.reveal("caregiver-on-file")  # no patient linked yet
    call.choose_patient("pat-7")
    assert not call.reveal("  ")
    assert call.reveal("caregiver-on-file")
    assert call.identity.state is Verification.REVEALED and call.identity.sensitive_visible
    assert audit.events[-1] == {
        "action": "reveal",
        "patient_id": "pat-7",
        "reason": f"call {call.record_id}: caregiver-on-file",
        "result": "card",
    }
    # Choosing another patient masks again.
    call.choose_patient("pat-8")
    assert not call.identity.sensitive_visible


def test_no_identity_check_once_the_call_ended() -> None:
    audit = FakeAudit()
    call = talking(audit=audit)
    call.end("remote")
    assert call.verify(patient(), RIGHT).state is Verification.UNVERIFIED
    assert audit.events == []


def test_its_text_form_shows_no_number_or_name() -> None:
    call = make_call()
    assert NUMBER not in repr(call) and "Caller" not in repr(call)
    assert call.record_id in repr(call)
