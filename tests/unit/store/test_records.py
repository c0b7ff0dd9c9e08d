"""Records never show patient data in their text forms; masked forms hide what they should."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import pytest

from agent_app.store.names import name_key
from agent_app.store.records import OutboxItem, PatientRecord, Phone


def _record() -> PatientRecord:
    return PatientRecord(
        id="pat-1",
        mrn="MRN00500123",
        given_name="Corwyn",
        family_name="Ashworth",
        birth_date="1961-04-12",
        phones=(Phone("+12015550142", "home"),),
        language="en",
        time_zone="America/Chicago",
        consent_calls=True,
        do_not_call=False,
        care_program="cardiac",
        campaign_ids=("camp-a",),
        version=3,
    )


def test_repr_and_str_show_only_the_id() -> None:
    record = _record()
    for text in (repr(record), str(record), repr(record.phones), repr(record.masked())):
        for secret in ("Corwyn", "Ashworth", "1961", "5550142", "MRN00500123", "cardiac"):
            assert secret not in text
    assert "pat-1" in repr(record)


def test_masked_form_keeps_initials_and_tails_only() -> None:
    masked = _record().masked()
    assert masked.given_initial.startswith("C")
    assert "orwyn" not in masked.given_initial
    assert masked.phone_tails == ("••••••••••42",)
    assert masked.mrn_tail.endswith("123")
    assert "00500" not in masked.mrn_tail


def test_outbox_item_repr_hides_payload() -> None:
    item = OutboxItem("id-1", "disposition", "2026-01-01T00:00:00Z", None, {"notes": "x y"}, 1)
    assert "notes" not in repr(item)
    assert item.intake_item()["payload"] == {"notes": "x y"}


def test_name_keys_ignore_case_accents_and_punctuation() -> None:
    assert name_key("O'Brien-Núñez ") == name_key("obrien nunez") == "obrien nunez"
    assert name_key("  ÉLODIE ") == "elodie"


def test_a_record_over_a_cache_row_equals_one_built_by_keywords() -> None:
    built = _record()
    row = (
        "pat-1",
        "MRN00500123",
        "Corwyn",
        "Ashworth",
        "1961-04-12",
        "home+12015550142",
        "en",
        "America/Chicago",
        1,
        0,
        "cardiac",
        "camp-a",
        3,
    )
    read = PatientRecord.from_row(row)
    assert read == built and hash(read) == hash(built)
    assert read.phones == (Phone("+12015550142", "home"),)
    assert read.campaign_ids == ("camp-a",)
    assert read.consent_calls is True and read.do_not_call is False
    assert PatientRecord.from_row((*row[:5], "", *row[6:11], "", 3)).phones == ()
    assert read != PatientRecord.from_row((*row[:12], 4))


def test_records_are_immutable() -> None:
    record = _record()
    with pytest.raises(FrozenInstanceError):
        record.given_name = "Other"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        del record.mrn  # type: ignore[misc]
    assert record.given_name == "Corwyn"
