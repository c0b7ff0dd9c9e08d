"""The server's patient schema and the desktop's reader say the same of the same patient."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from pydantic import ValidationError

from pulse_contract import patient
from pulse_contract.rules import problem_of
from server.schemas import PatientIn, PatientOut, Phone

_ASSIGNED = {"id": "pat-1", "campaign_ids": ["camp-a"], "version": 1}


def _input(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "mrn": "MRN0001",
        "given_name": "Corwyn",
        "family_name": "Ashley",
        "birth_date": "1961-04-05",
        "phones": [{"number": "+12015550100", "kind": "home"}],
        "language": "en",
        "time_zone": "America/Chicago",
        "consent_calls": True,
        "do_not_call": False,
        "care_program": "cardiac",
        "address_city": "Springfield",
        "address_state": "IL",
    }
    item.update(changes)
    return item


def _server_accepts(item: dict[str, Any]) -> bool:
    try:
        PatientIn.model_validate(item)
    except ValidationError:
        return False
    return True


def test_the_feed_item_and_the_import_have_the_contract_fields() -> None:
    assert list(PatientOut.model_fields) == [f.name for f in patient.FIELDS]
    sent = [f for f in patient.FIELDS if not f.assigned]
    assert list(PatientIn.model_fields) == [f.name for f in sent]
    for rule in sent:
        info = PatientIn.model_fields[rule.name]
        assert info.is_required() == rule.required, rule.name
        if not rule.required:
            default = info.get_default(call_default_factory=True)
            assert default == (list(rule.default) if rule.kind == "list" else rule.default)
    assert get_args(Phone.model_fields["kind"].annotation) == patient.PHONE_KINDS


# Values of each field's own JSON type (the server's pydantic also turns "yes" into true
# and a number into a date; the contract takes only the type itself), with no spaces
# around text (the server strips them first, and never sends any).
CASES = [
    {"mrn": ""},
    {"mrn": "M" * 64},
    {"mrn": "M" * 65},
    {"mrn": None},
    {"given_name": "A" * 200},
    {"given_name": "A" * 201},
    {"family_name": ""},
    {"family_name": 7},
    {"birth_date": "1961-02-30"},
    {"birth_date": "2000-02-29"},
    {"birth_date": "61-04-05"},
    {"birth_date": None},
    {"phones": []},
    {"phones": [{"number": "+12015550100", "kind": "home"}] * 10},
    {"phones": [{"number": "+12015550100", "kind": "home"}] * 11},
    {"phones": None},
    {"language": "pt-BR"},
    {"language": "english"},
    {"language": ""},
    {"language": None},
    {"time_zone": "A" * 65},
    {"time_zone": None},
    {"consent_calls": False},
    {"consent_calls": None},
    {"do_not_call": True},
    {"care_program": ""},
    {"care_program": "C" * 200},
    {"care_program": "C" * 201},
    {"care_program": None},
    {"address_city": "C" * 201},
    {"address_city": None},
    {"address_state": "il"},
    {"address_state": "ILL"},
    {"address_state": None},
]


@pytest.mark.parametrize("changes", CASES, ids=lambda c: f"{next(iter(c))}-{len(str(c))}")
def test_an_imported_patient_is_valid_for_both_or_for_neither(changes: dict[str, Any]) -> None:
    item = _input(**changes)
    desktop = problem_of(patient.read_patient, {**item, **_ASSIGNED})
    assert _server_accepts(item) == (desktop is None), desktop


@pytest.mark.parametrize("name", [f.name for f in patient.FIELDS if not f.assigned])
def test_a_field_left_out_is_valid_for_both_or_for_neither(name: str) -> None:
    item = _input()
    del item[name]
    desktop = problem_of(patient.read_patient, {**item, **_ASSIGNED})
    assert _server_accepts(item) == (desktop is None), desktop


@pytest.mark.parametrize(
    "entry",
    [
        {"number": "+12015550100", "kind": "mobile"},
        {"number": "+12015550100"},
        {"number": "+02015550100"},
        {"number": "2015550100"},
        {"number": "+1201555010012345"},
        {"number": "+12015550100", "kind": "fax"},
        {"kind": "home"},
    ],
)
def test_a_phone_entry_is_valid_for_both_or_for_neither(entry: dict[str, Any]) -> None:
    try:
        Phone.model_validate(entry)
    except ValidationError:
        server = False
    else:
        server = True
    assert server == (problem_of(patient.read_phone, entry) is None)
