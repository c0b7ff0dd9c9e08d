"""The call script run: variant choice, branching, history, progress, disclosures, merge
fields gated by the identity gate, records and snapshots; and random step sequences never
leave the path inconsistent."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_app.workflow.identity_gate import IdentityStatus, Verification
from agent_app.workflow.script_run import (
    MAX_VISITS,
    MergeField,
    ScriptDocument,
    ScriptError,
    ScriptRun,
    Visit,
    choose_language,
    merge,
    merge_values,
    plain_text,
)
from server.schemas import ScriptOut
from server.seed import REMINDER_SCRIPT
from tests.unit.workflow.fakes import patient


def reminder(version: int = 1, variants: dict[str, Any] | None = None) -> dict[str, Any]:
    """The demo world's reminder script as the cache holds it (the server's ScriptOut)."""
    doc = {
        "id": "script-reminder",
        "name": "Appointment reminder",
        "version": version,
        "variants": copy.deepcopy(variants or REMINDER_SCRIPT),
    }
    return ScriptOut.model_validate(doc).model_dump(mode="json")


def run_of(doc: dict[str, Any] | None = None, **options: Any) -> ScriptRun:
    return ScriptRun(ScriptDocument.from_document(doc or reminder()), **options)


def walk_to_verify(run: ScriptRun) -> None:
    assert run.forward()  # greet -> notice
    assert run.mark_read()
    assert run.forward()  # notice -> verify
    assert run.current.id == "verify"


# -- the variant ------------------------------------------------------------------------------


def test_the_patients_language_is_shown_when_the_script_has_it() -> None:
    run = run_of(preferred="es")
    assert run.language == "es" and not run.shown_instead and not run.preferred_missing
    assert run.current.text.startswith("Hola")


def test_a_missing_language_falls_back_to_english_and_says_so() -> None:
    run = run_of(preferred="vi")
    assert run.language == "en"
    assert run.preferred_missing and run.shown_instead


def test_the_default_is_the_campaigns_then_english_then_the_first() -> None:
    assert choose_language(["fr", "es"], "vi", "es") == "es"
    assert choose_language(["fr", "en", "es"], None) == "en"
    assert choose_language(["fr", "es"], None) == "fr"
    assert choose_language(["en", "es-MX"], "es") == "es-MX"
    assert choose_language(["en", "es"], "ES-us") == "es"
    assert choose_language([], "en") is None


def test_the_agent_switches_language_and_keeps_the_path() -> None:
    run = run_of(preferred="es")
    walk_to_verify(run)
    assert run.answer(0)  # confirmado -> remind
    assert run.switch_language("en")
    assert run.current.id == "remind" and run.language == "en"
    assert run.shown_instead and not run.preferred_missing
    assert run.as_record()["answers"] == [{"step": "verify", "answer": "confirmed"}]
    assert not run.switch_language("en") and not run.switch_language("de")


def test_a_switch_keeps_only_what_the_other_version_can_walk() -> None:
    variants = copy.deepcopy(REMINDER_SCRIPT)
    es_steps = variants["es"]["steps"]
    verify = next(s for s in es_steps if s["id"] == "verify")
    verify["branches"][0]["next"] = "message"  # the Spanish version leads elsewhere
    run = run_of(reminder(variants=variants))
    walk_to_verify(run)
    assert run.answer(0)
    assert run.switch_language("es")
    assert [v.step for v in run.path] == ["greet", "notice", "verify"]
    assert run.current.id == "verify" and run.as_record()["answers"] == []


def test_a_preference_learnt_later_moves_only_an_unused_run() -> None:
    run = run_of()
    assert run.language == "en"
    assert run.prefer("es") and run.language == "es"
    used = run_of()
    used.forward()
    assert not used.prefer("es") and used.language == "en"
    assert used.preferred == "es" and used.shown_instead


# -- the path ---------------------------------------------------------------------------------


def test_an_answer_leads_to_its_branch_and_next_leads_on() -> None:
    run = run_of()
    assert run.current.id == "greet"
    assert not run.answer(0), "greet has no answers"
    walk_to_verify(run)
    assert not run.forward(), "verify waits for an answer"
    assert run.answer(1)  # not the patient
    assert run.current.id == "message"
    assert run.current.ends and run.forward() and run.complete
    assert not run.forward()


def test_back_and_forward_walk_the_history_and_a_new_answer_cuts_it() -> None:
    run = run_of()
    walk_to_verify(run)
    run.answer(0)  # remind
    run.answer(1)  # reschedule
    assert run.current.id == "reschedule"
    assert run.back() and run.back()
    assert run.current.id == "verify" and run.chosen == 0
    assert run.forward() and run.current.id == "remind"
    assert run.answer(1) and run.current.id == "reschedule", "the same answer keeps the rest"
    assert len(run.path) == 5
    run.back()
    run.back()
    assert run.answer(1)  # now "not the patient"
    assert [v.step for v in run.path] == ["greet", "notice", "verify", "message"]
    assert not run.can_forward() or run.current.ends
    while run.back():
        pass
    assert run.position == 0 and not run.back()


def test_a_disclosure_must_be_read_before_moving_on() -> None:
    run = run_of()
    run.forward()
    assert run.current.disclosure and run.needs_reading
    assert not run.forward() and not run.can_forward()
    assert not run.mark_read(False)
    assert run.mark_read()
    assert not run.mark_read(), "already read"
    assert run.can_unmark() and run.mark_read(False) and run.mark_read()
    assert run.forward()
    run.back()
    assert not run.can_unmark() and not run.mark_read(False), "moved on past it: it was read"
    assert run.as_record()["disclosures"] == {"notice": True}


def test_progress_counts_the_path_taken_and_the_fewest_steps_ahead() -> None:
    run = run_of()
    first = run.progress()
    assert (first.position, first.done, first.on_path) == (1, 0, 1)
    assert first.ahead == 3, "greet, notice, verify, message: three more at the least"
    walk_to_verify(run)
    run.answer(0)  # remind
    now = run.progress()
    assert (now.position, now.done, now.on_path, now.ahead) == (4, 3, 4, 1)
    run.back()
    assert run.progress().position == 3 and run.progress().done == 3
    run.forward()
    run.answer(0)  # close
    run.forward()
    end = run.progress()
    assert end.complete and end.done == end.on_path == 5 and end.ahead == 0


def test_a_loop_stops_growing_at_the_limit() -> None:
    looping = {
        "en": {
            "steps": [
                {"id": "ask", "text": "Again?", "branches": [{"answer": "again", "next": "ask"}]}
            ]
        }
    }
    run = run_of(reminder(variants=looping))
    assert run.progress().ahead is None, "no end can be reached"
    while run.answer(0):
        pass
    assert len(run.path) == MAX_VISITS


# -- merge fields -----------------------------------------------------------------------------


def test_merge_fields_show_their_label_until_the_gate_opens() -> None:
    record = patient()
    unverified = IdentityStatus()
    before = merge_values(
        agent_name="Agent Seven", patient=record, linked_patient_id=record.id, identity=unverified
    )
    assert before == {"agent.display_name": "Agent Seven", "patient.given_name": "Maren"}
    text = "Dear {{ patient.full_name }}, born {{patient.birth_date}}; {{appointment.time}}."
    shown = plain_text(merge(text, before))
    assert shown == "Dear [full name], born [date of birth]; [appointment time]."
    masked = record.masked()
    assert masked.family_initial not in shown and "•" not in shown
    verified = IdentityStatus(Verification.VERIFIED)
    after = merge_values(patient=record, linked_patient_id=record.id, identity=verified)
    assert plain_text(merge(text, after)).startswith("Dear Maren Oskarsdóttir-Lind, born 1961")
    revealed = IdentityStatus(Verification.REVEALED, reveal_reason="patient is deaf")
    assert "patient.mrn" in merge_values(
        patient=record, linked_patient_id=record.id, identity=revealed
    )
    locked = IdentityStatus(Verification.LOCKED, failed_attempts=3)
    assert "patient.family_name" not in merge_values(
        patient=record, linked_patient_id=record.id, identity=locked
    )


def test_a_record_not_linked_to_the_call_fills_nothing() -> None:
    record = patient()
    verified = IdentityStatus(Verification.VERIFIED)
    assert merge_values(patient=record, linked_patient_id=None, identity=verified) == {}
    assert merge_values(patient=record, linked_patient_id="pat-2", identity=verified) == {}


def test_merge_keeps_markup_as_text_and_splits_fields() -> None:
    segments = merge("<b>Hi</b> {{patient.given_name}}{{x}}", {"patient.given_name": "<i>A</i>"})
    assert segments == (
        "<b>Hi</b> ",
        MergeField("patient.given_name", "<i>A</i>"),
        MergeField("x", None),
    )
    assert plain_text(segments) == "<b>Hi</b> <i>A</i>[x]"
    assert plain_text(merge("{{ broken }", {})) == "{{ broken }"
    assert plain_text(merge("{{x}}", {}), lambda f: f"«{f.key}»") == "[«x»]"


# -- records and snapshots --------------------------------------------------------------------


def test_the_record_names_the_version_language_answers_and_disclosures() -> None:
    run = run_of(preferred="es")
    walk_to_verify(run)
    run.answer(0)
    run.answer(1)
    assert run.as_record() == {
        "script_id": "script-reminder",
        "version": 1,
        "language": "es",
        "answers": [
            {"step": "verify", "answer": "confirmado"},
            {"step": "remind", "answer": "no"},
        ],
        "disclosures": {"notice": True},
    }


def test_a_snapshot_restores_the_same_run() -> None:
    run = run_of(preferred="es", campaign_id="camp-a")
    walk_to_verify(run)
    run.answer(0)
    run.back()
    restored = ScriptRun.restore(run.snapshot(), reminder())
    assert restored.snapshot() == run.snapshot()
    assert restored.as_record() == run.as_record()
    assert not restored.frozen and restored.campaign_id == "camp-a"
    assert restored.current.id == "verify" and restored.forward()


def test_a_newer_version_in_the_cache_leaves_the_restored_run_as_it_was() -> None:
    run = run_of()
    walk_to_verify(run)
    run.answer(1)
    newer = copy.deepcopy(REMINDER_SCRIPT)
    newer["en"]["steps"][0]["text"] = "Good morning."
    restored = ScriptRun.restore(run.snapshot(), reminder(version=2, variants=newer))
    assert restored.frozen and restored.version == 1
    assert restored.as_record() == run.as_record()
    assert restored.current.id == "message" and restored.back()
    assert restored.variant.step("greet").text.startswith("Hello")
    assert not restored.answer(0) and not restored.switch_language("es")
    assert ScriptRun.restore(run.snapshot(), None).as_record() == run.as_record()


def test_a_malformed_snapshot_or_document_is_refused() -> None:
    with pytest.raises(ScriptError):
        ScriptRun.restore({"format": 99}, reminder())
    with pytest.raises(ScriptError):
        ScriptRun.restore({"format": 1, "script_id": "s"}, reminder())
    with pytest.raises(ScriptError):
        ScriptDocument.from_document({"id": "s", "name": "n", "version": 1, "variants": {}})
    dangling = {"en": {"steps": [{"id": "a", "text": "A", "next": "b"}]}}
    with pytest.raises(ScriptError):
        ScriptDocument.from_document({"id": "s", "name": "n", "version": 1, "variants": dangling})


def test_the_run_keeps_the_document_it_started_with() -> None:
    doc = reminder()
    run = run_of(doc)
    doc["variants"]["en"]["steps"][0]["text"] = "changed in the cache"
    assert run.current.text.startswith("Hello")


# -- random sequences -------------------------------------------------------------------------

MOVES = st.lists(
    st.one_of(
        st.tuples(st.just("answer"), st.integers(-1, 3)),
        st.tuples(st.sampled_from(["forward", "back", "read", "unread"]), st.just(0)),
        st.tuples(st.just("switch"), st.sampled_from(["en", "es"])),
    ),
    max_size=60,
)


def check_consistent(run: ScriptRun) -> None:
    path, variant = run.path, run.variant
    assert path and path[0].step == variant.first
    assert 0 <= run.position < len(path)
    for here, there in itertools.pairwise(path):
        step = variant.step(here.step)
        if here.choice is None:
            assert step.next == there.step
        else:
            assert step.branches[here.choice].next == there.step
        if step.disclosure:
            assert run.is_read(step.id), "left a disclosure unread"
    assert path[-1].choice is None
    last = variant.step(path[-1].step)
    if run.complete:
        assert last.ends and (not last.disclosure or run.is_read(last.id))
    progress = run.progress()
    assert progress.done <= progress.on_path == len(path)
    answered = [v for v in path if v.choice is not None]
    assert len(run.as_record()["answers"]) == len(answered)


@settings(max_examples=300, deadline=None)
@given(moves=MOVES, preferred=st.sampled_from([None, "en", "es", "vi"]))
def test_random_steps_never_leave_the_path_inconsistent(
    moves: list[tuple[str, Any]], preferred: str | None
) -> None:
    run = run_of(preferred=preferred)
    for move, arg in moves:
        if move == "answer":
            run.answer(arg)
        elif move == "forward":
            run.forward()
        elif move == "back":
            run.back()
        elif move == "read":
            run.mark_read()
        elif move == "unread":
            run.mark_read(False)
        else:
            run.switch_language(arg)
        check_consistent(run)
    restored = ScriptRun.restore(run.snapshot(), reminder())
    assert restored.snapshot() == run.snapshot()
    check_consistent(restored)


def test_visits_are_values() -> None:
    assert Visit("a", 1) == Visit("a", 1) and Visit("a") != Visit("a", 0)
