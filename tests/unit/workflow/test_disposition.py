"""After-call work: code trees, the draft, the checks, the submit, failed calls and the ACW rule."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import pytest

from agent_app.store.errors import DiskFullError
from agent_app.store.journal import NewEntry
from agent_app.store.records import PatientRecord
from agent_app.telephony import protocol as p
from agent_app.workflow.agent_state import AgentState
from agent_app.workflow.disposition import (
    CONSENT_PROBLEM,
    SYS_HANDLED,
    CodeTree,
    Failure,
    OutboxJournal,
    WrapUpWork,
    system_code,
)
from agent_app.workflow.events import Problem, WrapUpAdded, WrapUpDone
from agent_app.workflow.script_run import ScriptDocument, ScriptRun
from server.schemas import PAYLOADS
from server.seed import OUTCOMES
from tests.unit.workflow.fakes import BREAK, Desk, FakeOutbox, make_desk, patient
from tests.unit.workflow.test_consent import SCRIPT as CONSENT_SCRIPT

TREE_DOC = {"id": "tree-1", "name": "Outcomes", "version": 3, **copy.deepcopy(OUTCOMES)}
CAMPAIGN = {
    "id": "camp-a",
    "name": "Reminders",
    "kind": "inbound",
    "calling_window": {"start": "09:00", "end": "18:00"},
    "code_tree_id": "tree-1",
}
OTHER = {"id": "camp-b", "name": "Other", "kind": "inbound", "code_tree_id": None}
CALLER = "+12025550143"
# ServerTime (fakes) reads 2026-03-02T09:MM:SSZ; New York is UTC-5 then.
TOMORROW_AFTERNOON = "2026-03-03T14:30"


@dataclass
class FakeCache:
    documents: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    patients: dict[str, PatientRecord] = field(default_factory=dict)
    fail: bool = False

    def document(self, feed: str, item_id: str) -> dict[str, Any] | None:
        if self.fail:
            raise DiskFullError("cache: unreadable")
        return self.documents.get((feed, item_id))

    def get(self, patient_id: str) -> PatientRecord | None:
        if self.fail:
            raise DiskFullError("cache: unreadable")
        return self.patients.get(patient_id)


def cache() -> FakeCache:
    return FakeCache(
        documents={
            ("campaigns", "camp-a"): CAMPAIGN,
            ("campaigns", "camp-b"): OTHER,
            ("code_trees", "tree-1"): TREE_DOC,
        },
        patients={"pat-1": patient()},
    )


def desk(**settings: Any) -> tuple[Desk, FakeCache, OutboxJournal]:
    shared = cache()
    made = make_desk(cache=lambda: shared, **settings)
    journal = made.session._journal
    assert isinstance(journal, OutboxJournal)
    made.lookup.numbers[CALLER] = ["pat-1"]
    return made, shared, journal


def ended_call(d: Desk, call_id: str = "c1", number: str = CALLER) -> WrapUpWork:
    d.connect(call_id, number)
    d.end(call_id)
    [item] = d.session.wrap_ups
    work = d.session.wrap_up_work(item.record_id)
    assert work is not None
    return work


def dispositions(outbox: FakeOutbox) -> list[dict[str, Any]]:
    return [payload for kind, payload, _ in outbox.items if kind == "disposition"]


# -- the code tree -----------------------------------------------------------------------------


def test_a_code_tree_reads_the_servers_document() -> None:
    tree = CodeTree.from_document(TREE_DOC)
    assert (tree.id, tree.version) == ("tree-1", 3)
    assert [n.code for n in tree.codes] == ["REACHED", "NOT_REACHED", "DNC_REQUEST"]
    reached = tree.find("REACHED")
    assert reached is not None and not reached.selectable
    callback = tree.find("CALLBACK")
    assert callback is not None and callback.selectable
    [spec] = callback.fields
    assert (spec.name, spec.type, spec.is_callback) == ("callback_at", "datetime", True)
    assert [n.code for n in tree.path("CALLBACK")] == ["REACHED", "CALLBACK"]
    assert tree.path("NOPE") == () and tree.find("NOPE") is None
    assert len(list(tree.walk())) == 10


def test_filtering_finds_codes_by_any_words_of_label_or_name() -> None:
    tree = CodeTree.from_document(TREE_DOC)
    assert [n.code for n in tree.filter("call")] == ["CALLBACK", "DNC_REQUEST"]
    assert [n.code for n in tree.filter("APPOINTMENT  resched")] == ["RESCHEDULED"]
    assert [n.code for n in tree.filter("no answer")] == ["NO_ANSWER"]
    accented = CodeTree.from_document({"codes": [{"code": "RESUME", "label": "Résumé envoyé"}]})
    assert [n.code for n in accented.filter("resume envoye")] == ["RESUME"]
    assert len(tree.filter("")) == 10


def test_a_damaged_tree_keeps_what_is_well_formed() -> None:
    doc = {
        "codes": [
            {"code": "OK", "label": "Fine", "required_fields": [{"name": "x", "type": "color"}]},
            {"label": "no code"},
            "text",
            {"code": "PARENT", "label": "P", "children": [{"code": "KID", "label": "K"}]},
        ],
        "version": "seven",
    }
    tree = CodeTree.from_document(doc)
    assert [n.code for n in tree.walk()] == ["OK", "PARENT", "KID"]
    ok = tree.find("OK")
    assert ok is not None and ok.fields == ()
    assert tree.version == 0


def test_a_failed_call_gets_the_campaigns_code_for_it_else_a_built_in_one() -> None:
    tree = CodeTree.from_document(TREE_DOC)
    assert system_code(Failure.NO_ANSWER, tree).code == "NO_ANSWER"
    assert system_code(Failure.BUSY, tree).code == "SYS_BUSY"
    assert system_code(Failure.REJECTED, None).code == "SYS_REJECTED"
    assert system_code(Failure.DROPPED, tree).code == "SYS_DROPPED"


# -- the campaign of a call ----------------------------------------------------------------


def test_the_campaign_follows_the_patient_else_the_desks_default() -> None:
    d, shared, _ = desk(default_campaign_id="camp-b")
    d.ring("c1", CALLER)
    [call] = d.session.calls
    assert call.campaign_id == "camp-a"  # the matched patient's campaign
    d.ring("c2", "+12025550999")
    unknown = d.session.call("c2")
    assert unknown is not None and unknown.campaign_id == "camp-b"
    shared.patients["pat-9"] = patient(id="pat-9", campaign_ids=("camp-gone",))
    assert d.session.choose_patient("c2", "pat-9")
    assert unknown.campaign_id == "camp-b"  # none of theirs is on this desk
    assert d.session.choose_patient("c2", "pat-1")
    assert unknown.campaign_id == "camp-a"


def test_without_a_cache_a_call_has_the_default_campaign_and_the_built_in_codes() -> None:
    d = make_desk(default_campaign_id="camp-b")
    d.lookup.numbers[CALLER] = ["pat-1"]
    work = ended_call(d)
    assert work.call.campaign_id == "camp-b"
    assert work.tree is None and work.time_zone is None
    assert work.calling_window == ("08:00", "21:00")
    assert work.set_code(SYS_HANDLED.code)
    assert work.submit()
    assert d.session.wrap_ups == ()


# -- the draft and the checks ----------------------------------------------------------------


def test_every_change_is_saved_as_a_draft_at_once() -> None:
    d, _, journal = desk()
    work = ended_call(d)
    record = work.record_id
    facts = journal.drafts()[record]["call"]
    assert (facts["record_id"], facts["patient_id"], facts["campaign_id"]) == (
        record,
        "pat-1",
        "camp-a",
    )
    assert not work.set_code("REACHED")  # a heading
    assert not work.set_code("NOPE")
    assert work.set_code("CALLBACK")
    assert journal.drafts()[record]["disposition"] == {
        "code": "CALLBACK",
        "fields": {},
        "notes": "",
    }
    assert work.set_field("callback_at", TOMORROW_AFTERNOON)
    assert not work.set_field("callback_at", True)  # not a yes/no field
    assert not work.set_field("unknown", "x")
    work.set_notes("Prefers afternoons")
    assert journal.drafts()[record]["disposition"] == {
        "code": "CALLBACK",
        "fields": {"callback_at": TOMORROW_AFTERNOON},
        "notes": "Prefers afternoons",
    }
    assert work.saved


def test_required_fields_are_checked_by_type() -> None:
    d, _, _ = desk()
    work = ended_call(d)
    assert work.problems() == {"code": "Choose a disposition code."}
    assert not work.submit()
    assert work.set_code("WRONG_NUMBER")
    assert set(work.problems()) == {"notes"}  # the code's required text field
    work.set_field("notes", "   ")
    assert "notes" in work.problems()
    work.set_field("notes", "Reached a business line")
    assert work.problems() == {}
    work.set_notes("x" * 10_001)
    assert set(work.problems()) == {"notes"}


def test_a_yes_no_field_must_be_answered() -> None:
    shared = cache()
    shared.documents["code_trees", "tree-1"] = {
        "codes": [
            {
                "code": "CONSENT",
                "label": "Consent",
                "required_fields": [{"name": "agreed", "type": "bool", "label": "Agreed"}],
            }
        ]
    }
    d = make_desk(cache=lambda: shared)
    d.lookup.numbers[CALLER] = ["pat-1"]
    work = ended_call(d)
    assert work.set_code("CONSENT")
    assert set(work.problems()) == {"agreed"}
    assert not work.set_field("agreed", "yes")
    assert work.set_field("agreed", False)
    assert work.problems() == {}


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("tomorrow", "Enter a date and time"),
        ("2026-03-01T14:30", "in the future"),
        ("2026-03-03T08:30", "between 09:00 and 18:00"),
        ("2026-03-03T18:30", "between 09:00 and 18:00"),
        ("2026-03-03T23:30Z", "between 09:00 and 18:00"),  # 18:30 in New York
        ("2028-03-03T14:30", "within a year"),
        ("2026-03-08T02:30", "does not exist"),  # the clocks go forward that night
    ],
)
def test_a_callback_time_is_checked_in_the_patients_zone(typed: str, problem: str) -> None:
    d, _, _ = desk()
    work = ended_call(d)
    work.set_code("CALLBACK")
    work.set_field("callback_at", typed)
    assert problem in work.problems()["callback_at"]


def test_a_callback_time_is_read_in_the_patients_zone_and_recorded_in_utc() -> None:
    d, _, _ = desk()
    work = ended_call(d)
    assert work.time_zone == "America/New_York"
    assert work.calling_window == ("09:00", "18:00")
    work.set_code("CALLBACK")
    work.set_field("callback_at", TOMORROW_AFTERNOON)
    assert work.problems() == {}
    when = work.when("callback_at")
    assert when is not None and when.isoformat() == "2026-03-03T14:30:00-05:00"
    assert work.submit()
    [disposition] = dispositions(d.outbox)
    assert disposition["fields"] == {"callback_at": "2026-03-03T19:30:00Z"}
    [callback] = [payload for kind, payload, _ in d.outbox.items if kind == "callback"]
    assert callback == {
        "call_id": work.record_id,
        "patient_id": "pat-1",
        "callback_at": "2026-03-03T19:30:00Z",
        "notes": "",
        "for": "me",
        "campaign_id": "camp-a",
    }
    PAYLOADS["callback"].model_validate(callback)


def test_a_callback_needs_the_patient() -> None:
    d, _, _ = desk(default_campaign_id="camp-a")
    work = ended_call(d, number="+12025550999")  # nobody's number
    assert work.call.patient_id is None
    assert work.set_code("CALLBACK")
    work.set_field("callback_at", TOMORROW_AFTERNOON)
    assert "patient" in work.problems()["callback_at"]
    assert d.session.choose_patient(work.record_id, "pat-1")
    assert work.problems() == {}


# -- the submit --------------------------------------------------------------------------------


class Script:
    def as_record(self) -> dict[str, Any]:
        return {
            "script_id": "script-1",
            "version": 2,
            "language": "en",
            "answers": [{"step": "greet", "answer": "yes"}],
            "disclosures": {"recording": True},
        }


def test_the_record_carries_code_script_identity_and_call_facts() -> None:
    d, _, journal = desk()
    d.connect("c1")
    [call] = d.session.calls
    call.script = Script()
    assert d.session.reveal("c1", "caregiver-on-file")
    assert d.session.blind_transfer("c1", "sip:nurse@pbx")
    d.session.handle(p.TransferProgress("c1", 200, "OK", True))
    d.end("c1", "transferred", 200)
    work = d.session.wrap_up_work(call.record_id)
    assert work is not None
    work.set_code("TRANSFERRED")
    work.set_notes("Nurse took it")
    assert work.submit()
    [record] = dispositions(d.outbox)
    PAYLOADS["disposition"].model_validate(record)
    assert record["call_id"] == call.record_id
    assert (record["code"], record["notes"], record["campaign_id"]) == (
        "TRANSFERRED",
        "Nurse took it",
        "camp-a",
    )
    assert record["script"] == Script().as_record()
    assert record["verification"] == {
        "state": "revealed",
        "failed_attempts": 0,
        "revealed_reason": "caregiver-on-file",
    }
    facts = record["call"]
    assert (facts["direction"], facts["remote"], facts["sip_code"]) == ("inbound", CALLER, 200)
    assert (facts["end_reason"], facts["transfer_target"]) == ("transferred", "sip:nurse@pbx")
    assert facts["answered_at"] == call.answered_at and facts["ended_at"] == call.ended_at
    assert facts["duration_s"] > 0
    assert journal.drafts() == {}
    assert d.session.wrap_ups == ()
    assert any(isinstance(e, WrapUpDone) for e in d.events)


def test_a_double_submit_records_once() -> None:
    d, _, _ = desk()
    work = ended_call(d)
    work.set_code("CONFIRMED")
    assert work.submit()
    assert work.submit()
    assert not work.set_code("VOICEMAIL")  # recorded: nothing changes any more
    assert len(dispositions(d.outbox)) == 1
    assert d.session.wrap_up_work(work.record_id) is None


def test_a_journal_that_cannot_write_keeps_the_work() -> None:
    d, _, _ = desk()
    work = ended_call(d)
    work.set_code("CONFIRMED")
    d.outbox.fail = True
    assert not work.submit()
    assert [e.message for e in d.events if isinstance(e, Problem)][-1].startswith(
        "The disposition could not be saved"
    )
    assert d.session.wrap_ups != () and not work.submitted
    d.outbox.fail = False
    assert work.submit()
    assert len(dispositions(d.outbox)) == 1


def test_a_cache_that_cannot_be_read_leaves_the_built_in_codes() -> None:
    d, shared, _ = desk(default_campaign_id="camp-b")
    shared.fail = True
    work = ended_call(d)
    assert work.call.campaign_id == "camp-b"
    assert work.tree is None and work.time_zone is None
    assert work.set_code(SYS_HANDLED.code) and work.submit()


# -- failed calls -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [(486, "SYS_BUSY"), (480, "NO_ANSWER"), (603, "SYS_REJECTED"), (487, "SYS_DROPPED")],
)
def test_a_failed_call_comes_with_its_code_so_one_key_submits_it(code: int, expected: str) -> None:
    d, _, _ = desk()
    call = d.session.dial(CALLER)
    assert call is not None
    d.end(call.call_id, "remote", code)
    work = d.session.wrap_up_work(call.record_id)
    assert work is not None and work.code == expected
    assert work.problems() == {}
    assert work.submit()
    [record] = dispositions(d.outbox)
    assert record["code"] == expected and record["call"]["answered_at"] is None
    assert record["call"]["duration_s"] == 0
    PAYLOADS["disposition"].model_validate(record)


# -- the after-call countdown ----------------------------------------------------------------


def test_ready_is_refused_while_a_disposition_is_owed() -> None:
    d, _, _ = desk()
    work = ended_call(d)
    assert d.session.state is AgentState.WRAP_UP
    assert not d.session.go_ready()
    work.set_code("CONFIRMED")
    assert work.submit()
    assert d.session.state is AgentState.READY  # the agent had chosen Ready before


def test_the_countdown_ends_in_disposition_pending_never_in_ready() -> None:
    d, _, _ = desk(wrap_up_limit_s=30)
    work = ended_call(d)
    d.clock.advance(29)
    assert d.session.poll().state is AgentState.WRAP_UP
    d.clock.advance(2)
    status = d.session.poll()
    assert status.state is AgentState.NOT_READY
    assert status.reason is not None and status.reason.code == "disposition_pending"
    last = d.outbox.states()[-1]
    assert last == "not_ready"
    PAYLOADS["agent_state"].model_validate(d.outbox.items[-1][1])
    assert not d.session.go_ready()
    work.set_code("CONFIRMED")
    assert work.submit()
    # Done, but still Not ready: only the agent makes themself Ready.
    assert d.session.state is AgentState.NOT_READY
    assert d.session.go_ready()
    assert d.session.state is AgentState.READY


def test_an_agent_who_chose_a_break_keeps_it_when_the_countdown_ends() -> None:
    d, _, _ = desk(wrap_up_limit_s=30)
    ended_call(d)
    assert d.session.set_not_ready(BREAK.code)
    d.clock.advance(31)
    status = d.session.poll()
    assert status.state is AgentState.NOT_READY and status.reason == BREAK


# -- entries for the journal ------------------------------------------------------------------


def test_the_outbox_stand_in_writes_each_id_once() -> None:
    outbox = FakeOutbox()
    journal = OutboxJournal(outbox)
    journal.save_draft("r1", "disposition", {"code": "X"})
    entries = [NewEntry("disposition", {"n": 1}, "r1", "r1")]
    assert journal.enqueue_many(entries, drop_draft="r1") == ["r1"]
    assert journal.enqueue_many(entries, drop_draft="r1") == ["r1"]
    assert len(outbox.items) == 1 and journal.drafts() == {}


def test_the_countdown_is_the_campaigns_when_it_names_one() -> None:
    d, shared, _ = desk(wrap_up_limit_s=120)
    shared.documents["campaigns", "camp-a"] = {**CAMPAIGN, "wrap_up_s": 15}
    work = ended_call(d)
    [item] = d.session.wrap_ups
    assert item.limit_s == 15
    [added] = [e for e in d.events if isinstance(e, WrapUpAdded)]
    assert added.item is item  # the event tells of the item as the desk keeps it
    d.clock.advance(16)
    assert d.session.poll().state is AgentState.NOT_READY
    assert work.set_code("CONFIRMED") and work.submit()
    assert d.session.go_ready()
    # A call of a campaign without one keeps the desk's countdown.
    other = ended_call(d, "c2", "+12025550999")
    assert other.call.campaign_id is None
    assert d.session.wrap_ups[0].limit_s == 120


def test_a_callback_for_anyone_on_the_campaign_is_sent_so_and_kept_in_the_draft() -> None:
    d, _, journal = desk()
    work = ended_call(d)
    work.set_code("CALLBACK")
    work.set_field("callback_at", TOMORROW_AFTERNOON)
    assert not work.set_callback_for("someone")
    assert work.set_callback_for("anyone")
    assert journal.drafts()[work.record_id]["disposition"]["callback_for"] == "anyone"
    assert work.submit()
    [callback] = [payload for kind, payload, _ in d.outbox.items if kind == "callback"]
    assert (callback["for"], callback["campaign_id"]) == ("anyone", "camp-a")


# -- recording consent -----------------------------------------------------------------------


def consent_desk() -> tuple[Desk, WrapUpWork, ScriptRun]:
    """An answered call under a campaign that needs recording consent, with its script."""
    d, shared, _ = desk()
    shared.documents["campaigns", "camp-a"] = {**CAMPAIGN, "recording_consent": True}
    d.connect("c1")
    [call] = d.session.calls
    run = ScriptRun(ScriptDocument.from_document(CONSENT_SCRIPT))
    call.script = run
    d.end("c1")
    work = d.session.wrap_up_work(call.record_id)
    assert work is not None
    return d, work, run


def test_an_answered_call_needing_consent_is_not_submitted_before_the_disclosure_answer() -> None:
    d, work, run = consent_desk()
    assert work.set_code("CONFIRMED")
    assert work.consent_missing
    assert set(work.problems()) == {CONSENT_PROBLEM}
    assert not work.submit()
    assert dispositions(d.outbox) == []
    assert run.forward() and run.mark_read() and run.answer(1)  # the patient refuses
    assert not work.consent_missing and work.problems() == {}
    assert work.submit()
    [record] = dispositions(d.outbox)
    assert {"step": "consent", "answer": "refuses"} in record["script"]["answers"]


@pytest.mark.parametrize("code", ["VOICEMAIL", "NO_ANSWER", "SYS_VOICEMAIL", "SYS_BUSY"])
def test_a_patient_not_reached_needs_no_consent_answer(code: str) -> None:
    _d, work, _run = consent_desk()
    assert work.set_code(code)
    assert not work.consent_missing and CONSENT_PROBLEM not in work.problems()


def test_consent_is_asked_only_of_answered_calls_of_a_campaign_that_needs_it() -> None:
    d, shared, _ = desk()
    d.connect("c1")
    [call] = d.session.calls
    call.script = ScriptRun(ScriptDocument.from_document(CONSENT_SCRIPT))
    d.end("c1")
    work = d.session.wrap_up_work(call.record_id)
    assert work is not None and work.set_code("CONFIRMED")
    assert not work.consent_missing  # the campaign does not ask for it
    shared.documents["campaigns", "camp-a"] = {**CAMPAIGN, "recording_consent": True}
    assert work.consent_missing
    call.script = None  # no script on the desk to ask with: nothing to wait for
    assert not work.consent_missing
    d.ring("c2")
    d.end("c2", "remote", 487)  # never answered
    unanswered = d.session.wrap_up_work(d.session.wrap_ups[-1].record_id)
    assert unanswered is not None and not unanswered.consent_missing
