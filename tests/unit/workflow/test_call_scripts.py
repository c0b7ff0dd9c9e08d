"""The desk's scripts: a call gets its campaign's script when the campaign is known, in the
patient's language; every step the agent takes is saved as the call's draft; a newer
version applies from the next call."""

from __future__ import annotations

import copy
from typing import Any

from agent_app.store.errors import DiskFullError, StoreClosedError
from agent_app.store.records import PatientRecord
from agent_app.workflow.call_scripts import SCRIPT_PART, CallScripts, NoScript
from agent_app.workflow.call_session import CallSession
from agent_app.workflow.identity import Claim
from agent_app.workflow.script_run import ScriptRun
from server.seed import REMINDER_SCRIPT
from tests.unit.workflow.fakes import Desk, make_desk, patient

NUMBER = "+12025550143"


class Cache:
    def __init__(self) -> None:
        self.docs: dict[tuple[str, str], dict[str, Any]] = {}
        self.closed = False
        self.put("campaigns", {"id": "camp-a", "name": "Reminders", "script_id": "scr-1"})
        self.put("campaigns", {"id": "camp-b", "name": "Follow-up", "script_id": None})
        self.put_script(1)

    def put(self, feed: str, doc: dict[str, Any]) -> None:
        self.docs[feed, doc["id"]] = doc

    def put_script(self, version: int, first_text: str | None = None) -> None:
        variants = copy.deepcopy(REMINDER_SCRIPT)
        if first_text:
            for variant in variants.values():
                variant["steps"][0]["text"] = first_text
        doc = {"id": "scr-1", "name": "Reminder", "version": version, "variants": variants}
        self.put("scripts", doc)

    def document(self, feed: str, doc_id: str) -> dict[str, Any] | None:
        if self.closed:
            raise StoreClosedError("cache: closed")
        return self.docs.get((feed, doc_id))


class Drafts:
    def __init__(self) -> None:
        self.saved: dict[str, dict[str, Any]] = {}
        self.fail = False

    def save_draft(self, record_id: str, part: str, payload: Any) -> None:
        if self.fail:
            raise DiskFullError("journal: the disk is full; nothing was written")
        self.saved.setdefault(record_id, {})[part] = copy.deepcopy(dict(payload))


def spanish(record: PatientRecord) -> PatientRecord:
    return PatientRecord(
        id=record.id,
        mrn=record.mrn,
        given_name=record.given_name,
        family_name=record.family_name,
        birth_date=record.birth_date,
        phones=record.phones,
        language="es",
        time_zone=record.time_zone,
        consent_calls=True,
        do_not_call=False,
        care_program=None,
        campaign_ids=("camp-x", "camp-a"),  # camp-x is not in the cache
        version=1,
    )


class Rig:
    def __init__(self, drafts: Drafts | None = None, **options: Any) -> None:
        self.desk: Desk = make_desk()
        self.cache, self.drafts = Cache(), drafts or Drafts()
        self.patients = {"pat-1": spanish(patient()), "pat-2": patient(id="pat-2")}
        self.desk.lookup.numbers[NUMBER] = ["pat-1"]
        self.scripts = CallScripts(
            self.desk.session,
            documents=self.cache.document,
            patient=self.patients.get,
            agent_name="Agent Seven",
            save_draft=self.drafts.save_draft,
            drafts=lambda: self.drafts.saved,
            **options,
        )

    def call(self, call_id: str = "c1", number: str = NUMBER) -> CallSession:
        self.desk.connect(call_id, number)
        found = self.desk.session.call(call_id)
        assert found is not None
        return found

    def finish(self, call: CallSession) -> None:
        """End the call and do its wrap-up, so that the next one rings."""
        self.desk.end(call.call_id)
        assert self.desk.session.complete_wrap_up(call.record_id)
        self.desk.session.go_ready()

    def run(self, call: CallSession) -> ScriptRun:
        run = self.scripts.run(call)
        assert run is not None
        return run


def test_a_known_patients_call_gets_the_campaigns_script_in_their_language() -> None:
    rig = Rig()
    call = rig.call()
    run = rig.run(call)
    assert getattr(call, "script", None) is run
    assert run.campaign_id == "camp-a" and run.language == "es" and run.version == 1
    assert rig.drafts.saved == {}, "nothing to save before the agent does something"


def test_every_step_the_agent_takes_is_saved_as_the_calls_draft() -> None:
    rig = Rig()
    call = rig.call()
    assert rig.scripts.forward(call)
    assert rig.scripts.mark_read(call)
    assert rig.scripts.forward(call)
    assert rig.scripts.answer(call, 0)
    saved = rig.drafts.saved[call.record_id][SCRIPT_PART]
    assert saved == rig.run(call).snapshot()
    restored = ScriptRun.restore(saved, rig.cache.document("scripts", "scr-1"))
    assert restored.as_record()["answers"] == [{"step": "verify", "answer": "confirmado"}]
    assert not rig.scripts.answer(call, 7), "not an answer of this step"
    assert rig.scripts.switch_language(call, "en")
    assert rig.drafts.saved[call.record_id][SCRIPT_PART]["language"] == "en"


def test_a_failed_save_is_flagged_and_the_next_step_tries_again() -> None:
    rig = Rig()
    call = rig.call()
    rig.drafts.fail = True
    assert rig.scripts.forward(call), "the run keeps the agent's step"
    assert call.record_id in rig.scripts.unsaved
    rig.drafts.fail = False
    assert rig.scripts.mark_read(call)
    assert call.record_id not in rig.scripts.unsaved
    assert rig.drafts.saved[call.record_id][SCRIPT_PART]["read"] == ["notice"]
    rig.drafts.fail = True
    rig.scripts.forward(call)
    rig.finish(call)
    assert rig.scripts.unsaved == set(), "a call whose wrap-up is done is forgotten"


def test_a_new_version_applies_from_the_next_call() -> None:
    rig = Rig()
    first = rig.call("c1")
    rig.scripts.forward(first)
    rig.cache.put_script(2, "A new greeting.")
    rig.desk.session.hold("c1")  # events about the first call after the sync
    assert rig.run(first).version == 1
    assert rig.run(first).variant.step("greet").text.startswith("Hola")
    rig.finish(first)
    second = rig.call("c2")
    assert rig.run(second).version == 2
    assert rig.run(second).current.text == "A new greeting."


def test_the_calls_campaign_comes_first_then_the_patients_then_the_default() -> None:
    rig = Rig(default_campaign_id="camp-a")
    unknown = rig.call("c1", "+12025550199")
    assert unknown.patient_id is None
    assert rig.run(unknown).campaign_id == "camp-a" and rig.run(unknown).language == "en"
    rig.finish(unknown)
    call = rig.call("c2")
    call.campaign_id = "camp-b"  # type: ignore[attr-defined]  # the workflow's, once it sets one
    assert rig.scripts.follow(call) is None, "the call's campaign has no script"
    assert rig.scripts.why_none(call) is NoScript.NO_SCRIPT


def test_no_campaign_no_script_and_an_unused_run_follows_the_patient_chosen() -> None:
    rig = Rig()
    call = rig.call("c1", "+12025550199")
    assert rig.scripts.run(call) is None
    assert rig.scripts.why_none(call) is NoScript.NO_CAMPAIGN
    assert rig.desk.session.choose_patient("c1", "pat-2")
    assert rig.run(call).language == "en"
    assert rig.desk.session.choose_patient("c1", "pat-1")
    assert rig.run(call).language == "es", "not used yet: it follows the patient"
    rig.scripts.forward(call)
    assert rig.desk.session.choose_patient("c1", "pat-2")
    assert rig.run(call).language == "es", "in use: the agent's run stays"


def test_merge_values_follow_the_calls_identity_gate() -> None:
    rig = Rig()
    call = rig.call()
    record = rig.patients["pat-1"]
    before = rig.scripts.values(call)
    assert before["patient.given_name"] == record.given_name
    assert before["agent.display_name"] == "Agent Seven"
    assert before["campaign.name"] == "Reminders"
    assert "patient.family_name" not in before and "patient.birth_date" not in before
    claim = Claim(family_name=record.family_name, birth_date=record.birth_date)
    rig.desk.session.verify_identity("c1", record, claim)
    after = rig.scripts.values(call)
    assert after["patient.family_name"] == record.family_name
    assert after["patient.phone"] == record.phones[0].number


def test_the_first_name_in_the_script_is_an_audited_view_of_the_record() -> None:
    rig = Rig()
    call = rig.call()
    audit = rig.desk.audit
    audit.fail = True  # the view cannot be written to the audit log
    refused = rig.scripts.values(call)
    assert "patient.given_name" not in refused, "a record shown without its view audited"
    assert refused["agent.display_name"] == "Agent Seven"
    audit.fail = False
    assert rig.scripts.values(call)["patient.given_name"] == rig.patients["pat-1"].given_name
    rig.scripts.values(call)
    views = [e for e in audit.events if e["action"] == "view"]
    assert views == [
        {
            "action": "view",
            "patient_id": "pat-1",
            "reason": f"call {call.record_id}",
            "result": "ok",
        }
    ], "one view per call and patient, whichever panel shows the record first"
    assert rig.desk.session.record_viewed(call.record_id, "pat-1")


def test_a_missing_script_or_a_broken_one_says_why() -> None:
    rig = Rig(default_campaign_id="camp-a")
    del rig.cache.docs["scripts", "scr-1"]
    call = rig.call("c1", "+12025550199")
    assert rig.scripts.why_none(call) is NoScript.NOT_CACHED
    rig.finish(call)
    rig.cache.put("scripts", {"id": "scr-1", "name": "x", "version": 3, "variants": {}})
    other = rig.call("c2", "+12025550199")
    assert rig.scripts.run(other) is None
    assert rig.scripts.why_none(other) is NoScript.UNREADABLE


def test_without_drafts_the_run_still_works() -> None:
    rig = Rig()
    rig.scripts.close()
    scripts = CallScripts(rig.desk.session, documents=rig.cache.document, patient=rig.patients.get)
    call = rig.call()
    assert scripts.forward(call) and not scripts.save(call)
    assert scripts.run(call) is not None and call.record_id not in scripts.unsaved


def test_a_wrap_up_restored_after_a_crash_gets_its_script_run_back() -> None:
    rig = Rig()
    call = rig.call()
    rig.scripts.forward(call)
    rig.scripts.mark_read(call)
    rig.scripts.forward(call)
    rig.scripts.answer(call, 1)
    rig.desk.end(call.call_id)
    record = rig.run(call).as_record()
    drafts = rig.drafts
    drafts.saved[call.record_id]["call"] = call.facts()

    again = Rig(drafts)  # the desk after a restart, on the same drafts
    again.cache.put_script(2, "A newer greeting.")  # synced in between
    [item] = again.desk.session.restore_wrap_ups(drafts.saved)
    run = again.run(item.call)
    assert run.as_record() == record and run.version == 1
    assert run.frozen, "the cache has another version: the run stays as it was"
    assert run.current.id == "message"


def test_a_restored_wrap_up_without_a_script_draft_starts_one() -> None:
    rig = Rig()
    call = rig.call()
    rig.desk.end(call.call_id)
    rig.drafts.saved[call.record_id] = {"call": call.facts()}
    again = Rig(rig.drafts)
    [item] = again.desk.session.restore_wrap_ups(rig.drafts.saved)
    run = again.run(item.call)
    assert run.campaign_id == "camp-a" and not run.touched


def test_a_cache_that_cannot_be_read_shows_no_script_and_breaks_nothing() -> None:
    rig = Rig()
    rig.cache.closed = True
    call = rig.call()
    assert rig.scripts.run(call) is None
    assert rig.scripts.why_none(call) is NoScript.NO_CAMPAIGN, "no campaign could be read"
    assert rig.scripts.values(call)["agent.display_name"] == "Agent Seven"


def test_a_leased_patients_script_is_previewed_in_their_language_and_never_saved() -> None:
    rig = Rig()
    run = rig.scripts.preview("camp-a", "pat-1")
    assert isinstance(run, ScriptRun)
    assert run.campaign_id == "camp-a" and run.language == "es" and not run.touched
    values = rig.scripts.preview_values(run, "pat-1")
    # Before the call only the first name: the rest waits for the identity check.
    assert values == {
        "agent.display_name": "Agent Seven",
        "campaign.name": "Reminders",
        "patient.given_name": rig.patients["pat-1"].given_name,
    }
    assert rig.scripts.preview("camp-b", "pat-1") is NoScript.NO_SCRIPT
    assert rig.scripts.preview("camp-x", "pat-1") is NoScript.NOT_CACHED
    assert rig.drafts.saved == {} and rig.desk.session.calls == ()
