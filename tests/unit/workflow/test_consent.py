"""Recording consent: the patient's answer at the script's disclosure step, kept on the record."""

from __future__ import annotations

from typing import Any

from agent_app.workflow.consent import CLIENT_RECORDING, Consent, recording_consent, required
from agent_app.workflow.script_run import ScriptDocument, ScriptRun

SCRIPT: dict[str, Any] = {
    "id": "script-consent",
    "name": "Check-in",
    "version": 1,
    "variants": {
        "en": {
            "steps": [
                {"id": "greet", "text": "Hello.", "next": "consent"},
                {
                    "id": "consent",
                    "kind": "disclosure",
                    "text": "This call is recorded. Is that all right with you?",
                    "branches": [
                        {"answer": "agrees", "next": "talk"},
                        {"answer": "refuses", "next": "talk"},
                    ],
                },
                {"id": "talk", "text": "How are you feeling today?", "next": None},
            ]
        }
    },
}


def run() -> ScriptRun:
    return ScriptRun(ScriptDocument.from_document(SCRIPT))


def test_a_refusal_at_the_disclosure_is_read_and_kept_on_the_record() -> None:
    script = run()
    assert recording_consent(script) is None
    assert script.forward()
    assert not script.answer(1)  # the notice must be read to the patient first
    assert script.mark_read()
    assert script.answer(1)
    assert recording_consent(script) is Consent.REFUSED
    record = script.as_record()
    assert {"step": "consent", "answer": "refuses"} in record["answers"]
    assert record["disclosures"] == {"consent": True}
    # Nothing to pause on the desk: it records no audio itself.
    assert CLIENT_RECORDING is False


def test_the_patient_changing_their_mind_counts_as_the_last_answer() -> None:
    script = run()
    script.forward()
    script.mark_read()
    script.answer(1)
    assert script.back()
    assert script.answer(0)
    assert recording_consent(script) is Consent.GIVEN
    assert recording_consent(None) is None


def test_a_campaign_says_whether_it_needs_consent() -> None:
    assert required({"id": "c", "recording_consent": True})
    assert not required({"id": "c"})
    assert not required(None)
