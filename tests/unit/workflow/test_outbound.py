"""Outbound on the desk: leases worked in preview and progressive, the calling rules at the one
door every call goes through, opt-outs, voicemail drop and the offline batch."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_app.store.errors import DiskFullError
from agent_app.telephony import protocol as p
from agent_app.workflow.agent_state import AgentState
from agent_app.workflow.dial_rules import Attempt, DialGate, Level, shared_rules
from agent_app.workflow.disposition import SYS_VOICEMAIL
from agent_app.workflow.events import Problem
from agent_app.workflow.outbound import (
    FROM_BATCH,
    SERVER_DOWN,
    Callback,
    Phase,
    ServerLeases,
    run_inline,
)
from pulse_contract.holiday_calendar import HolidayTable
from tests.unit.workflow.outbound_fakes import NOW, NUMBERS, dials, lease, record, rig

# -- the one door --------------------------------------------------------------------------


def test_a_pasted_number_of_a_do_not_call_patient_is_refused_with_the_reason() -> None:
    r = rig(dnc={"pat-2"})
    assert r.desk.session.dial(f" {NUMBERS['pat-2']} ") is None
    assert dials(r) == []
    assert r.problems() == ["The patient asked not to be called (do-not-call)."]
    assert r.gate.for_patient("pat-2").level is Level.RED
    assert r.desk.session.dial(NUMBERS["pat-1"]) is not None  # a callable patient is dialled


def test_a_number_outside_the_patients_hours_is_refused_in_their_local_time() -> None:
    r = rig()
    r.cache.patients["pat-1"] = record("pat-1", zone="America/Chicago")
    r.clock[0] = datetime(2026, 3, 3, 3, 34, tzinfo=UTC)  # 21:34 in Chicago
    assert r.desk.session.dial(NUMBERS["pat-1"]) is None
    assert r.problems() == ["Outside the patient's calling hours: 21:34 in America/Chicago."]
    assert r.gate.for_patient("pat-1").template.startswith("Outside the patient's calling hours")
    # The problem carries the sentence and its values, so the window can translate it.
    [problem] = [e for e in r.desk.events if isinstance(e, Problem)]
    assert problem.template.startswith("Outside the patient's calling hours")
    assert {"local_time": "21:34", "time_zone": "America/Chicago"}.items() <= dict(
        problem.params
    ).items()
    assert r.desk.session.dial("+12025550999") is not None  # no patient's: not a patient call


def test_holidays_are_those_of_the_campaigns_region_as_on_the_server() -> None:
    r = rig()
    r.cache.patients["pat-1"] = record("pat-1", zone="Europe/London")
    r.clock[0] = datetime(2026, 12, 28, 12, 0, tzinfo=UTC)  # a bank holiday in England only
    r.cache.campaigns["camp-out"] = {**r.cache.campaigns["camp-out"], "default_region": "GB"}
    refused = r.gate.for_patient("pat-1", "camp-out")
    assert refused.level is Level.RED and refused.template.startswith("Public holiday")
    r.cache.campaigns["camp-out"] = {**r.cache.campaigns["camp-out"], "default_region": "US"}
    assert r.gate.for_patient("pat-1", "camp-out").level is not Level.RED


def test_a_preview_of_a_do_not_call_patient_is_red_and_never_dialled() -> None:
    r = rig(dnc={"pat-1"})
    r.source.queue = [lease("pat-1"), lease("pat-2")]
    session = r.campaign()
    session.start()
    assert session.verdict().level is Level.RED
    assert not session.dial()
    assert dials(r) == []
    # The rules' refusal gives the patient back and shows the next one.
    assert r.source.released == [("pat-1", "rules")]
    assert session.lease is not None and session.lease.patient_id == "pat-2"


def test_a_callback_made_before_the_opt_out_cannot_be_dialled() -> None:
    r = rig()
    r.source.queue = [lease("pat-1")]
    session = r.campaign()
    session.start()
    assert session.dial()
    call = r.desk.session.calls[0]
    r.desk.confirm(call.call_id)
    r.desk.end(call.call_id)
    work = r.desk.session.wrap_up_work(call.record_id)
    assert work is not None
    assert work.set_code("DNC_REQUEST")  # the patient asked never to be called again
    assert work.submit()
    assert r.gate.for_patient("pat-1").level is Level.RED
    # A callback leased later (it was scheduled before the opt-out) is refused too,
    r.clock[0] = NOW + timedelta(days=1)
    r.source.queue = [lease("pat-1", 2, callback_id="cb-1")]
    assert session.next_patient()
    assert not session.dial()
    # and so is a redial from the softphone, and the opt-out outlives a restart.
    assert r.desk.session.dial(NUMBERS["pat-1"]) is None
    assert len(dials(r)) == 1
    again = DialGate(lookup=r.desk.lookup, reads=r.cache, rules=shared_rules, state=r.state)
    assert again.for_patient("pat-1").level is Level.RED


def test_a_code_the_tree_flags_opt_out_sets_do_not_call_at_once() -> None:
    r = rig()
    call = r.desk.session.dial(NUMBERS["pat-3"], patient_id="pat-3", campaign_id="camp-out")
    assert call is not None
    r.desk.confirm(call.call_id)
    r.desk.end(call.call_id)
    work = r.desk.session.wrap_up_work(call.record_id)
    assert work is not None and work.set_code("STOP_CALLING") and work.submit()
    assert r.gate.opt_outs == {"pat-3"}
    # The server hears it through the outbox: the disposition carries the code.
    [sent] = [pl for kind, pl, _ in r.desk.outbox.items if kind == "disposition"]
    assert (sent["patient_id"], sent["code"]) == ("pat-3", "STOP_CALLING")


# -- preview and progressive ------------------------------------------------------------------


def test_a_preview_is_dialled_disposed_and_the_next_patient_comes() -> None:
    r = rig()
    r.source.queue = [lease("pat-1"), lease("pat-2")]
    session = r.campaign(batch_size=0)
    session.start()
    assert session.phase is Phase.PREVIEW and session.lease is not None
    assert session.lease.patient_id == "pat-1"
    assert session.dial()
    call = r.desk.session.calls[0]
    assert (call.patient_id, call.campaign_id) == ("pat-1", "camp-out")
    assert session.phase is Phase.ON_CALL
    r.desk.end(call.call_id, "remote", 486)  # busy
    work = r.desk.session.wrap_up_work(call.record_id)
    assert work is not None and work.code == "SYS_BUSY"
    assert session.attempts()[-1].record_id == call.record_id
    assert work.submit()
    assert session.phase is Phase.PREVIEW
    assert session.lease is not None and session.lease.patient_id == "pat-2"
    # The busy attempt feeds the retry rule: pat-1 is not callable again for a while.
    assert r.gate.for_patient("pat-1", "camp-out").level is Level.RED


def test_a_call_that_rings_out_is_given_up_and_recorded_as_no_answer() -> None:
    r = rig()
    r.source.queue = [lease("pat-1")]
    session = r.campaign(batch_size=0, ring_timeout_s=25.0)
    session.start()
    assert session.dial()
    call = r.desk.session.calls[0]
    r.desk.session.handle(p.CallStateChanged(call.call_id, "early", 180, "Ringing"))
    r.desk.clock.advance(20)
    session.poll()
    assert r.desk.engine.sent(p.Hangup) == []
    r.desk.clock.advance(6)
    session.poll()
    assert r.desk.engine.sent(p.Hangup) == [p.Hangup(call.call_id)]
    r.desk.end(call.call_id, "local", 487)
    work = r.desk.session.wrap_up_work(call.record_id)
    assert work is not None and work.code == "SYS_NO_ANSWER"
    assert work.submit()
    assert r.gate.history.of("pat-1")[-1].code == "SYS_NO_ANSWER"


def test_a_code_trees_retry_wait_holds_on_the_desk_as_on_the_server() -> None:
    r = rig()
    call = r.desk.session.dial(NUMBERS["pat-2"], patient_id="pat-2", campaign_id="camp-out")
    assert call is not None
    r.desk.confirm(call.call_id)
    r.desk.end(call.call_id)
    work = r.desk.session.wrap_up_work(call.record_id)
    assert work is not None and work.set_code("CALL_LATER") and work.submit()
    r.clock[0] = NOW + timedelta(minutes=119)
    waiting = r.gate.for_patient("pat-2", "camp-out")
    assert waiting.level is Level.RED and "Too soon" in waiting.reason
    r.clock[0] = NOW + timedelta(minutes=121)
    assert r.gate.for_patient("pat-2", "camp-out").allowed


def test_a_skip_records_its_reason_and_releases_the_lease() -> None:
    r = rig()
    r.source.queue = [lease("pat-1"), lease("pat-2")]
    session = r.campaign(batch_size=0)
    session.start()
    assert not session.skip("no such reason")
    assert session.skip("needs_review")
    assert r.source.released == [("pat-1", "needs_review")]
    assert session.skipped == [("lease-pat-1-1", "needs_review")]
    assert session.lease is not None and session.lease.patient_id == "pat-2"


def test_progressive_dials_after_the_preview_countdown_once_ready() -> None:
    r = rig(ready=False)
    r.source.queue = [lease("pat-1")]
    session = r.campaign("progressive", preview_s=4.0, batch_size=0)
    session.start()
    assert session.phase is Phase.PREVIEW  # not Ready: no countdown
    r.desk.session.go_ready()
    assert session.phase is Phase.COUNTDOWN
    r.desk.clock.advance(3.0)
    session.poll()
    assert dials(r) == []
    r.desk.clock.advance(1.5)
    session.poll()
    assert dials(r) == [NUMBERS["pat-1"]]
    assert session.phase is Phase.ON_CALL


def test_offline_the_next_patient_comes_from_the_pre_leased_batch() -> None:
    r = rig()
    r.source.queue = [lease("pat-1"), lease("pat-2"), lease("pat-3")]
    session = r.campaign(batch_size=2)
    session.start()  # pat-1 leased; pat-2 and pat-3 kept for offline
    assert r.source.queue == []
    r.source.offline = True
    assert session.skip("other")  # the release fails offline: the lease expires by itself
    assert session.offline
    assert session.lease is not None and session.lease.patient_id == "pat-2"
    assert session.dial()
    assert dials(r) == [NUMBERS["pat-2"]]


def test_due_callbacks_are_listed_soonest_first() -> None:
    r = rig()
    later = Callback("cb-2", "pat-2", "camp-out", NOW + timedelta(hours=2))
    due = Callback("cb-1", "pat-1", "camp-out", NOW - timedelta(minutes=5), for_anyone=True)
    r.source.due = [later, due]
    session = r.campaign()
    session.start()
    assert session.callbacks() == (due, later)
    assert session.due_callbacks() == (due,)
    heard: list[str] = []
    session.subscribe(lambda e: heard.append(e.message))
    session.poll()
    session.poll()
    assert heard.count("A callback is due: it is on the callbacks list.") == 1  # once each
    r.clock[0] = NOW + timedelta(hours=2, minutes=1)
    session.poll()
    assert heard.count("A callback is due: it is on the callbacks list.") == 2


# -- voicemail drop ----------------------------------------------------------------------------


def test_a_voicemail_drop_frees_the_agent_at_once_and_is_disposed_without_typing() -> None:
    r = rig()
    call = r.desk.session.dial(NUMBERS["pat-1"])
    assert call is not None
    assert not r.desk.session.drop_voicemail(call.call_id, "/msg.wav")  # not answered yet
    r.desk.confirm(call.call_id)
    assert r.desk.session.drop_voicemail(call.call_id, "/msg.wav")
    assert r.desk.engine.sent(p.DropMessage) == [p.DropMessage(call.call_id, "/msg.wav")]
    assert r.desk.session.calls == () and r.desk.session.wrap_ups == ()
    assert r.desk.session.state is AgentState.READY
    [disposition] = [pl for kind, pl, _ in r.desk.outbox.items if kind == "disposition"]
    assert disposition["code"] == SYS_VOICEMAIL.code
    r.desk.end(call.call_id)  # the engine hangs up once the message has played
    assert r.desk.session.state is AgentState.READY


# -- a forbidden call is never placed ------------------------------------------------------------

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["paste", "preview", "callback", "redial", "opt_out", "advance"]),
        st.sampled_from(sorted(NUMBERS)),
        st.integers(min_value=0, max_value=20 * 60),
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(
    dnc=st.sets(st.sampled_from(sorted(NUMBERS))),
    zones=st.lists(
        st.sampled_from(
            ["America/New_York", "America/Chicago", "Asia/Kolkata", "America/St_Johns"]
        ),
        min_size=3,
        max_size=3,
    ),
    start_minutes=st.integers(min_value=0, max_value=24 * 60 - 1),
    actions=ACTIONS,
)
def test_no_path_ever_places_a_call_the_rules_forbid(
    dnc: set[str], zones: list[str], start_minutes: int, actions: list[tuple[str, str, int]]
) -> None:
    r = rig(dnc=dnc)
    for pid, zone in zip(sorted(NUMBERS), zones, strict=True):
        r.cache.patients[pid] = record(pid, dnc=pid in dnc, zone=zone)
    r.clock[0] = NOW.replace(hour=0, minute=0) + timedelta(minutes=start_minutes)
    session = r.campaign(batch_size=0)
    session.start()
    opted: set[str] = set()
    for n, (action, pid, minutes) in enumerate(actions):
        before = len(dials(r))
        verdict = r.gate.for_patient(pid)
        expected_red = pid in dnc or pid in opted or verdict.level is Level.RED
        if action == "opt_out":
            r.gate.opt_out(pid)
            opted.add(pid)
            continue
        if action == "advance":
            r.clock[0] += timedelta(minutes=minutes)
            continue
        if action in ("paste", "redial"):
            call = r.desk.session.dial(NUMBERS[pid])
        else:
            r.source.queue = [lease(pid, n, callback_id="cb" if action == "callback" else None)]
            session.stop()
            session.start()
            session.dial()
            call = r.desk.session.calls[0] if r.desk.session.calls else None
        placed = len(dials(r)) > before
        assert not (placed and expected_red)
        if placed:
            assert call is not None
            r.desk.end(call.call_id, "remote", 486)
            work = r.desk.session.wrap_up_work(call.record_id)
            assert work is not None and work.submit()
        r.desk.session.go_ready()


def test_a_store_that_cannot_look_the_number_up_refuses_the_call() -> None:
    r = rig()

    def broken(number: str) -> Sequence[str]:
        raise DiskFullError("cache: unreadable")

    gate = DialGate(lookup=broken, reads=r.cache, rules=shared_rules, now=lambda: NOW)
    r.desk.session.gate = gate
    assert r.desk.session.dial(NUMBERS["pat-1"]) is None
    assert dials(r) == []


def test_attempts_seen_twice_are_kept_once_with_their_latest_code() -> None:
    r = rig()
    r.gate.attempted(Attempt("pat-1", NOW, None, "camp-out", record_id="rec-1"))
    r.gate.attempted(Attempt("pat-1", NOW, "SYS_BUSY", "camp-out", record_id="rec-1"))
    assert [a.code for a in r.gate.history.of("pat-1")] == ["SYS_BUSY"]


# -- the card's indicator ---------------------------------------------------------------------


def test_the_cards_verdict_is_judged_under_the_leases_campaign_and_none_for_an_inbound_call() -> (
    None
):
    r = rig()
    placed = r.desk.session.dial(NUMBERS["pat-1"], patient_id="pat-1", campaign_id="camp-out")
    assert placed is not None
    r.desk.ring("in-1", NUMBERS["pat-2"])
    inbound = r.desk.session.call("in-1")
    assert inbound is not None and inbound.patient_id == "pat-2"
    assert r.desk.session.compliance(placed) == r.gate.for_patient("pat-1", "camp-out")
    # 20:30 in New York: past the campaign's window (20:00), inside the legal one (21:00).
    r.clock[0] = datetime(2026, 3, 3, 1, 30, tzinfo=UTC)
    campaign = r.desk.session.compliance(placed)
    assert campaign is not None and campaign.level is Level.RED
    assert "20:00" not in campaign.reason and "20:30" in campaign.reason
    own = r.desk.session.compliance(inbound)
    assert own is not None and own.level is Level.AMBER  # the legal window closes at 21:00
    assert "21:00" in own.reason


def test_the_card_has_no_verdict_without_a_patient_or_without_rules() -> None:
    r = rig()
    r.desk.ring("in-1", "+12025550999")  # nobody's number
    unknown = r.desk.session.call("in-1")
    assert unknown is not None and r.desk.session.compliance(unknown) is None
    r.desk.ring("in-2", NUMBERS["pat-1"])
    known = r.desk.session.call("in-2")
    assert known is not None and r.desk.session.compliance(known) is not None
    r.desk.session.gate = None
    assert r.desk.session.compliance(known) is None


def test_the_gate_tells_its_watchers_of_every_opt_out_and_attempt() -> None:
    r = rig()
    told: list[str] = []
    stop = r.gate.subscribe(told.append)
    r.gate.opt_out("pat-2")
    r.gate.attempted(Attempt("pat-1", NOW, None, "camp-out", record_id="rec-1"))
    r.gate.learned([Attempt("pat-3", NOW, "SYS_BUSY"), Attempt("pat-3", NOW, "SYS_NO_ANSWER")])
    assert told == ["pat-2", "pat-1", "pat-3"]
    assert len(r.gate.history.of("pat-3")) == 2
    # A lease's history from the server reaches the watchers too.
    r.source.queue = [lease("pat-1", attempts=(Attempt("pat-1", NOW - timedelta(days=2)),))]
    r.campaign().start()
    assert told[-1] == "pat-1"
    stop()
    r.gate.opt_out("pat-1")
    assert told[-1] == "pat-1" and len(told) == 4


# -- requests through a runner (a worker thread on the desk) ----------------------------------


class Deferred:
    """A runner that keeps each request until the test lets it run (a slow server)."""

    def __init__(self) -> None:
        self.waiting: list[tuple[Callable[[], Any], Callable[[Any], None]]] = []

    def __call__(self, job: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self.waiting.append((job, done))

    def answer(self) -> None:
        while self.waiting:
            job, done = self.waiting.pop(0)
            run_inline(job, done)


def test_while_the_next_patient_is_asked_for_no_second_request_is_made() -> None:
    r = rig()
    r.source.queue = [lease("pat-1"), lease("pat-2")]
    runner = Deferred()
    session = r.campaign(batch_size=0, runner=runner)
    heard: list[tuple[Phase, bool]] = []
    session.subscribe(lambda e: heard.append((e.phase, session.asking)))
    session.start()
    assert session.asking and session.lease is None and heard[-1] == (Phase.IDLE, True)
    assert not session.next_patient()  # a second click
    session.poll()
    runner.answer()
    assert not session.asking
    assert session.lease is not None and session.lease.patient_id == "pat-1"
    assert r.source.queue == [lease("pat-2")], "one lease asked for, not two"


def test_a_lease_that_comes_after_a_stop_goes_back_to_the_list() -> None:
    r = rig()
    r.source.queue = [lease("pat-1")]
    runner = Deferred()
    session = r.campaign(batch_size=0, runner=runner)
    session.start()
    session.stop()
    runner.answer()
    assert session.lease is None and session.phase is Phase.IDLE
    assert r.source.released == [("pat-1", "stopped")]


def test_a_server_that_answers_nonsense_reads_as_offline_and_the_batch_serves() -> None:
    class Nonsense:
        def __init__(self) -> None:
            self.released: list[str] = []

        def lease_next(self, campaign_id: str, *, token: str, batch: int = 1) -> dict[str, Any]:
            return {"leases": "soon"}

        def release_lease(self, lease_id: str, reason: str, *, token: str) -> None:
            self.released.append(lease_id)

        def callbacks(self, *, token: str) -> dict[str, Any]:
            return {"callbacks": [{"due": "whenever"}, "x"]}

    r = rig()
    kept = lease("pat-3")
    r.state.set_state("outbound.batch", json.dumps([kept.to_json()]))
    api = Nonsense()
    leases = ServerLeases(api, lambda operation: operation("token"))  # type: ignore[arg-type]
    session = r.campaign(batch_size=0)
    session.source = leases
    heard: list[str] = []
    session.subscribe(lambda e: heard.append(e.message))
    session.start()
    assert session.offline and session.lease == kept
    assert heard[-1] == FROM_BATCH
    assert session.callbacks() == ()  # callbacks that are not whole are left out
    assert session.skip("other")
    assert api.released == [kept.lease_id] and session.lease is None
    assert heard[-1] == SERVER_DOWN


def test_the_desk_judges_holidays_from_the_table_its_campaign_carries(
    caplog: pytest.LogCaptureFixture,
) -> None:
    r = rig()
    r.cache.patients["pat-1"] = record("pat-1", zone="America/Chicago")
    r.clock[0] = datetime(2026, 3, 4, 18, 0, tzinfo=UTC)  # a Wednesday, noon in Chicago
    listed = HolidayTable(
        "US", None, date(2026, 1, 1), date(2027, 12, 31), {date(2026, 3, 4): "Founders' Day"}
    )
    r.cache.campaigns["camp-out"] = {**r.cache.campaigns["camp-out"], "holidays": listed.to_wire()}
    refused = r.gate.for_patient("pat-1", "camp-out")
    assert refused.level is Level.RED and refused.template.startswith("Public holiday")
    assert dict(refused.params)["holiday"] == "Founders' Day"
    # An inbound call's card names no campaign: the table of the patient's campaign serves
    # (the rules are otherwise those without a campaign), and only for the same region.
    inbound = r.gate.for_patient("pat-1")
    assert inbound.level is Level.RED and dict(inbound.params)["holiday"] == "Founders' Day"
    r.cache.campaigns["camp-out"] = {
        **r.cache.campaigns["camp-out"],
        "holidays": {**listed.to_wire(), "country": "GB"},
    }
    assert r.gate.for_patient("pat-1").level is not Level.RED
    # A table the desk cannot read is set aside with a warning naming the campaign only; the
    # holiday library judges instead.
    r.cache.campaigns["camp-out"] = {
        **r.cache.campaigns["camp-out"],
        "holidays": {**listed.to_wire(), "first": "March 4th"},
    }
    with caplog.at_level("WARNING", logger="agent_app.workflow.dial_rules"):
        assert r.gate.for_patient("pat-1", "camp-out").level is not Level.RED
        assert r.gate.for_patient("pat-1", "camp-out").level is not Level.RED  # said once
    assert caplog.messages == [
        "campaign camp-out: its holiday table is not used: "
        "the holiday table's first is not a date (YYYY-MM-DD)"
    ]
