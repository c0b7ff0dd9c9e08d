"""The patient contract's reader, generated from its table of field rules."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from pulse_contract import patient
from pulse_contract.rules import ContractViolationError, Field, compile_reader, problem_of


def _item(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": "pat-1",
        "mrn": "MRN0001",
        "given_name": "Corwyn",
        "family_name": "Ashley",
        "birth_date": "1961-04-05",
        "phones": [{"number": "+12015550100", "kind": "home"}],
        "language": "en",
        "time_zone": "America/Chicago",
        "consent_calls": True,
        "do_not_call": False,
        "care_program": None,
        "campaign_ids": ["camp-a"],
        "address_city": None,
        "address_state": "TX",
        "version": 3,
    }
    item.update(changes)
    return {k: v for k, v in item.items() if v is not _LEFT_OUT}


_LEFT_OUT = object()


def test_the_contract_imports_neither_the_server_nor_the_desktop() -> None:
    code = (
        "import sys, pulse_contract.patient, pulse_contract.rules; "
        "print(sorted({m.split('.')[0] for m in sys.modules}))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = run.stdout
    assert "pulse_contract" in loaded
    assert "'agent_app'" not in loaded
    assert "'server'" not in loaded


def test_a_valid_item_reads_as_its_values_in_table_order() -> None:
    item = _item()
    assert patient.read_patient(item) == tuple(item[f.name] for f in patient.FIELDS)


def test_fields_left_out_read_as_none_unless_required() -> None:
    optional = [f.name for f in patient.FIELDS if not f.required]
    values = patient.read_patient(_item(**dict.fromkeys(optional, _LEFT_OUT)))
    assert [values[i] for i, f in enumerate(patient.FIELDS) if not f.required] == [None] * len(
        optional
    )
    for rule in patient.FIELDS:
        if rule.required:
            problem = problem_of(patient.read_patient, _item(**{rule.name: _LEFT_OUT}))
            assert problem == f"field {rule.name} is missing"


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"mrn": ""}, "field mrn must have 1 to 64 characters"),
        ({"mrn": "M" * 65}, "field mrn must have 1 to 64 characters"),
        ({"family_name": "A" * 201}, "field family_name must have 1 to 200 characters"),
        ({"given_name": 7}, "field given_name is not text"),
        ({"birth_date": "1961-02-30"}, "field birth_date is not a calendar date"),
        ({"birth_date": "05/04/1961"}, "field birth_date is not a YYYY-MM-DD date"),
        ({"birth_date": "1961-04-05\n"}, "field birth_date is not a YYYY-MM-DD date"),
        ({"language": None}, "field language is null"),
        ({"language": "EN"}, "field language does not have the expected form"),
        ({"time_zone": ""}, "field time_zone must have 1 to 64 characters"),
        ({"consent_calls": "yes"}, "field consent_calls is not true or false"),
        ({"phones": [{}] * 11}, "field phones must have at most 10 entries"),
        ({"campaign_ids": []}, "field campaign_ids is empty"),
        (
            {"campaign_ids": ["camp-a", ""]},
            "field campaign_ids holds an id that is not 1 to 64 characters",
        ),
        ({"address_state": "tx"}, "field address_state does not have the expected form"),
        ({"version": True}, "field version is not an integer"),
    ],
)
def test_each_broken_rule_is_named_without_the_value(changes: dict[str, Any], problem: str) -> None:
    assert problem_of(patient.read_patient, _item(**changes)) == problem
    for value in changes.values():
        if isinstance(value, str) and value:
            assert value not in problem


def test_nullable_fields_take_null_and_others_refuse_it() -> None:
    for rule in patient.FIELDS:
        problem = problem_of(patient.read_patient, _item(**{rule.name: None}))
        if rule.nullable:
            assert problem is None, rule.name
        else:
            assert problem is not None, rule.name


def test_a_remembered_value_does_not_let_another_through() -> None:
    for language in ("en", "es", "pt-BR"):
        assert problem_of(patient.read_patient, _item(language=language)) is None
    assert problem_of(patient.read_patient, _item(language="en ")) is not None
    assert problem_of(patient.read_patient, _item(language="english")) is not None


def test_not_an_object_and_a_mapping_that_is_not_a_dict() -> None:
    assert problem_of(patient.read_patient, ["pat-1"]) == "not an object"
    assert problem_of(patient.read_patient, None) == "not an object"

    class Frozen(dict[str, Any]):
        pass

    assert patient.read_patient(Frozen(_item()))[0] == "pat-1"


def test_phone_entries_have_rules_of_their_own() -> None:
    assert patient.read_phone({"number": "+12015550100", "kind": "work"}) == (
        "+12015550100",
        "work",
    )
    assert patient.read_phone({"number": "+12015550100"}) == ("+12015550100", None)
    assert problem_of(patient.read_phone, {"number": "2015550100"}) == (
        "field number does not have the expected form"
    )
    assert problem_of(patient.read_phone, {"number": "+12015550100", "kind": "fax"}) == (
        "field kind is not one of the allowed values"
    )


def test_a_field_name_must_be_an_identifier() -> None:
    with pytest.raises(ValueError, match="not a field name"):
        compile_reader((Field("two words", "text"),), "reader")


def test_the_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="field mrn is missing"):
        patient.read_patient(_item(mrn=_LEFT_OUT))
    assert issubclass(ContractViolationError, ValueError)
