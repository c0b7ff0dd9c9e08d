"""Script steps: a step is said or is a disclosure; the demo reminder carries the recording
notice as a disclosure in every language, with the same steps in each."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from server.schemas import ScriptIn, Step
from server.seed import REMINDER_SCRIPT


def test_a_step_is_said_unless_it_is_a_disclosure() -> None:
    assert Step.model_validate({"id": "a", "text": "Hello"}).kind == "say"
    assert Step.model_validate({"id": "a", "text": "Recorded", "kind": "disclosure"}).kind == (
        "disclosure"
    )
    with pytest.raises(ValidationError):
        Step.model_validate({"id": "a", "text": "Hello", "kind": "shout"})


def test_the_reminder_has_the_recording_notice_in_each_language() -> None:
    script = ScriptIn.model_validate({"name": "Appointment reminder", "variants": REMINDER_SCRIPT})
    assert set(script.variants) == {"en", "es"}
    ids = {lang: [s.id for s in v.steps] for lang, v in script.variants.items()}
    assert ids["en"] == ids["es"]
    for variant in script.variants.values():
        disclosures = [s.id for s in variant.steps if s.kind == "disclosure"]
        assert disclosures == ["notice"]
        greet = variant.steps[0]
        assert greet.next == "notice"
