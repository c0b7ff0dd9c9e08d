"""Identity checks: two identifiers, compared without case, accents, spacing or date format."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent_app.workflow.identity import (
    BIRTH_DATE,
    MRN,
    NAME,
    Claim,
    Outcome,
    check_identity,
    normalise_mrn,
    normalise_name,
    parse_date,
)
from tests.unit.workflow.fakes import patient

RECORD = patient(given="Maren", family="Oskarsdóttir-Lind", birth_date="1961-07-04")


@pytest.mark.parametrize(
    ("said", "on_record"),
    [
        ("oskarsdottir lind", "Oskarsdóttir-Lind"),
        ("  OSKARSDÓTTIR-LIND ", "Oskarsdóttir-Lind"),
        ("O'Bráin", "obrain"),
        ("Søren-Ærø", "soren aero"),
        ("Weiß", "WEISS"),
        ("Łukaszów", "lukaszow"),
        ("Nguyễn", "nguyen"),
    ],
)
def test_names_match_whatever_the_case_accents_spacing_and_punctuation(
    said: str, on_record: str
) -> None:
    assert normalise_name(said) == normalise_name(on_record)


def test_different_names_stay_different() -> None:
    assert normalise_name("Lind") != normalise_name("Lindh")
    assert normalise_name("Oskarsdóttir") != normalise_name("Oskarsdóttir-Lind")


@pytest.mark.parametrize(
    "text",
    [
        "1961-07-04",
        "19610704",
        "1961/7/4",
        "07/04/1961",
        "7-4-1961",
        "July 4, 1961",
        "4 Jul 1961",
        "the 4th of July 1961",
        "JUL 04 1961",
    ],
)
def test_dates_are_read_in_the_usual_written_forms(text: str) -> None:
    assert parse_date(text) == date(1961, 7, 4)


def test_day_first_decides_only_ambiguous_dates() -> None:
    assert parse_date("04/07/1961", day_first=True) == date(1961, 7, 4)
    assert parse_date("04/07/1961") == date(1961, 4, 7)
    assert parse_date("25/12/1961") == date(1961, 12, 25)  # 25 cannot be a month
    assert parse_date("12/25/1961", day_first=True) == date(1961, 12, 25)


@pytest.mark.parametrize(
    "text", ["", "4/7/61", "1961-02-30", "Ju 4 1961", "4 July", "13/13/1961", "soon", "1961"]
)
def test_dates_that_need_a_guess_are_not_read(text: str) -> None:
    assert parse_date(text) is None


def test_mrns_ignore_case_spaces_and_separators() -> None:
    assert normalise_mrn(" mrn 0042-17 ") == normalise_mrn("MRN-0042-17") == "MRN004217"
    assert normalise_mrn("MRN-0042-71") != normalise_mrn("MRN-0042-17")


@pytest.mark.parametrize(
    ("claim", "compared"),
    [
        (Claim(family_name="oskarsdottir lind", birth_date="07/04/1961"), (NAME, BIRTH_DATE)),
        (Claim(mrn="mrn 0042 17", birth_date="4 July 1961"), (BIRTH_DATE, MRN)),
        (Claim(family_name="OSKARSDOTTIR-LIND", mrn="MRN004217"), (NAME, MRN)),
        (
            Claim(family_name="Oskarsdóttir-Lind", given_name="maren", birth_date="1961-07-04"),
            (NAME, BIRTH_DATE),
        ),
    ],
)
def test_two_right_identifiers_match(claim: Claim, compared: tuple[str, ...]) -> None:
    check = check_identity(RECORD, claim)
    assert check.outcome is Outcome.MATCH
    assert check.compared == compared
    assert check.mismatched == ()


def test_every_identifier_given_must_match() -> None:
    check = check_identity(
        RECORD, Claim(family_name="Oskarsdottir-Lind", birth_date="1961-07-04", mrn="MRN-9")
    )
    assert (check.outcome, check.mismatched) == (Outcome.MISMATCH, (MRN,))
    wrong_given = Claim(family_name="Oskarsdottir-Lind", given_name="Mara", birth_date="1961-07-04")
    assert check_identity(RECORD, wrong_given).mismatched == (NAME,)
    wrong_day = check_identity(RECORD, Claim(family_name="Lind", birth_date="1961-07-05"))
    assert wrong_day.mismatched == (NAME, BIRTH_DATE)


@pytest.mark.parametrize(
    "claim",
    [
        Claim(family_name="Oskarsdottir-Lind"),
        Claim(family_name="Oskarsdottir-Lind", given_name="Maren"),  # one identifier: a name
        Claim(given_name="Maren", birth_date="1961-07-04"),  # a given name alone is no name
        Claim(family_name="Oskarsdottir-Lind", birth_date="4/7/61"),  # unreadable date
        Claim(),
    ],
)
def test_fewer_than_two_readable_identifiers_are_not_an_attempt(claim: Claim) -> None:
    assert check_identity(RECORD, claim).outcome is Outcome.INSUFFICIENT


def test_an_unreadable_date_is_named_not_quoted() -> None:
    check = check_identity(RECORD, Claim(family_name="Lind", birth_date="4/7/61"))
    assert check.unreadable == (BIRTH_DATE,)
    assert "61" not in repr(check)
    assert repr(Claim(family_name="Lind")) == "Claim(...)"


def test_a_record_without_an_mrn_never_matches_one() -> None:
    bare = patient(mrn="")
    check = check_identity(bare, Claim(mrn="MRN-0042-17", birth_date="1961-07-04"))
    assert check.outcome is Outcome.MISMATCH


_NAME_TEXT = st.text(
    st.characters(categories=("Lu", "Ll"), max_codepoint=0x24F), min_size=1, max_size=20
)


@given(_NAME_TEXT, st.sampled_from([str.upper, str.lower, str.title]), st.sampled_from(" -'."))
def test_case_and_separators_never_decide_a_name(
    name: str, case: Callable[[str], str], separator: str
) -> None:
    spaced = separator.join(name)
    assert normalise_name(case(spaced)) == normalise_name(name)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31)), st.booleans())
def test_every_written_form_of_a_date_reads_back(day: date, day_first: bool) -> None:
    forms = [
        day.isoformat(),
        day.strftime("%Y%m%d"),
        day.strftime("%d %B %Y"),
        day.strftime("%b %d, %Y"),
        day.strftime("%d/%m/%Y") if day_first else day.strftime("%m/%d/%Y"),
    ]
    for form in forms:
        assert parse_date(form, day_first=day_first) == day
