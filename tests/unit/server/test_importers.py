"""Patient import parsing: CSV and FHIR R4, errors by row without values."""

from __future__ import annotations

import pytest

from server.importers import ImportFormatError, parse_csv, parse_fhir


def test_csv_rows_and_errors() -> None:
    text = (
        "mrn,given_name,family_name,birth_date,phones,consent_calls\n"
        "M1,Ilsa,Fennimore,1950-02-03,202-555-0111:home;+12025550112,no\n"
        "M2,Oto,Brack,1950-02-31,,\n"
        "M3,Pia,Lorn,1950-02-03,12,\n"
        "M4,Ugo,Sarn,1950-02-03,,maybe\n"
    )
    parsed = parse_csv(text)
    [first] = parsed.patients
    assert [p.model_dump() for p in first.phones] == [
        {"number": "+12025550111", "kind": "home"},
        {"number": "+12025550112", "kind": "mobile"},
    ]
    assert first.consent_calls is False
    assert [e.split(":")[0] for e in parsed.errors] == ["line 3", "line 4", "line 5"]
    joined = " ".join(parsed.errors)
    for value in ("Oto", "Brack", "1950-02-31", "Pia", "maybe"):
        assert value not in joined


def test_csv_header_is_checked() -> None:
    with pytest.raises(ImportFormatError, match="lacks"):
        parse_csv("mrn,given_name\nx,y\n")
    with pytest.raises(ImportFormatError, match="unknown"):
        parse_csv("mrn,given_name,family_name,birth_date,ssn\n")


def test_fhir_single_patient_and_defaults() -> None:
    parsed = parse_fhir(
        {
            "resourceType": "Patient",
            "id": "p9",
            "name": [{"family": "Quell", "given": ["Runa", "B"]}],
            "birthDate": "1966-06-06",
            "extension": [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/timezone",
                    "valueCode": "America/Denver",
                }
            ],
        }
    )
    [p] = parsed.patients
    assert (p.mrn, p.given_name, p.family_name, p.time_zone, p.language) == (
        "p9",
        "Runa",
        "Quell",
        "America/Denver",
        "en",
    )
    with pytest.raises(ImportFormatError):
        parse_fhir([])
