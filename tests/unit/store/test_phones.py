"""Phone normalisation to E.164: property tests over the ways a number gets written."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_app.store.phones import (
    E164,
    InvalidPhoneNumberError,
    caller_candidates,
    to_e164,
)

# North American area codes (no N11 service codes), exchange 555, fiction lines 01XX.
area_codes = st.integers(201, 989).filter(lambda n: n % 100 != 11 and (n // 10) % 10 != 9)
us_lines = st.integers(100, 199)
uk_lines = st.integers(0, 999)  # 020 7946 0000-0999: reserved for drama


@st.composite
def us_number(draw: st.DrawFn) -> tuple[str, str]:
    npa, line = draw(area_codes), draw(us_lines)
    e164 = f"+1{npa}555{line:04d}"
    rendering = draw(
        st.sampled_from(
            [
                f"({npa}) 555-{line:04d}",
                f"{npa}-555-{line:04d}",
                f"{npa}.555.{line:04d}",
                f"{npa}555{line:04d}",
                f"1 {npa} 555 {line:04d}",  # trunk prefix
                f"1-{npa}-555-{line:04d}",
                f"1{npa}555{line:04d}",
                f"+1 {npa} 555 {line:04d}",
                f"+1{npa}555{line:04d}",
                f"011 1 {npa} 555 {line:04d}",  # international prefix from the US
                f"tel:+1{npa}555{line:04d}",
                f"<sip:+1{npa}555{line:04d}@pbx.example.test>",
                f"sip:{npa}555{line:04d}@pbx.example.test;user=phone",
            ]
        )
    )
    return e164, rendering


@st.composite
def uk_number(draw: st.DrawFn) -> tuple[str, str]:
    line = draw(uk_lines)
    e164 = f"+44207946{line:04d}"
    rendering = draw(
        st.sampled_from(
            [
                f"020 7946 {line:04d}",  # national, trunk prefix 0
                f"(020) 7946-{line:04d}",
                f"207946{line:04d}",  # without the trunk prefix
                f"+44 20 7946 {line:04d}",
                f"0044 20 7946 {line:04d}",  # international prefix from the UK
            ]
        )
    )
    return e164, rendering


@given(us_number())
@settings(deadline=None)  # a loaded CI machine must not turn slowness into failure
def test_every_us_rendering_normalises_to_the_same_e164(case: tuple[str, str]) -> None:
    e164, rendering = case
    assert to_e164(rendering, "US") == e164
    assert caller_candidates(rendering, ["US"]) == (e164,)


@given(uk_number())
@settings(deadline=None)
def test_every_uk_rendering_normalises_in_its_region(case: tuple[str, str]) -> None:
    e164, rendering = case
    assert to_e164(rendering, "GB") == e164
    assert e164 in caller_candidates(rendering, ["US", "GB"])


@given(st.one_of(us_number(), uk_number()), st.sampled_from(["US", "GB", "MX", "DE"]))
@settings(deadline=None)
def test_normalising_is_idempotent(case: tuple[str, str], region: str) -> None:
    e164, _ = case
    assert to_e164(e164, region) == e164
    assert caller_candidates(e164, [region]) == (e164,)


@given(st.text(max_size=30), st.sampled_from(["US", "GB"]))
@settings(max_examples=300, deadline=None)
def test_any_text_is_either_e164_or_a_named_error(text: str, region: str) -> None:
    try:
        result = to_e164(text, region)
    except InvalidPhoneNumberError as exc:
        # The message is one of two fixed forms: it never quotes the input.
        assert re.fullmatch(
            r"not a (possible )?phone number in region [A-Z]{2}( \(\d+ characters\))?", str(exc)
        )
    else:
        assert E164.match(result)
    for candidate in caller_candidates(text, [region]):
        assert E164.match(candidate)


@pytest.mark.parametrize("text", ["", "abc", "12", "+", "555-01"])
def test_unreadable_numbers_raise_a_named_error(text: str) -> None:
    with pytest.raises(InvalidPhoneNumberError):
        to_e164(text, "US")
    assert caller_candidates(text, ["US"]) == ()


@pytest.mark.parametrize("text", ["0000", "+44 0000"])
def test_digit_runs_shorter_than_e164_raise_a_named_error(text: str) -> None:
    with pytest.raises(InvalidPhoneNumberError, match="not a possible phone number"):
        to_e164(text, "GB")
    assert caller_candidates(text, ["GB"]) == ()


def test_a_national_number_read_in_two_regions_gives_both_readings() -> None:
    found = caller_candidates("2079460123", ["US", "GB"])
    assert "+12079460123" in found
    assert "+442079460123" in found


def test_the_e164_pattern_takes_ascii_digits_only_and_no_trailing_newline() -> None:
    assert E164.match("+12015550123")
    assert not E164.match("+12015550123\n")
    assert not E164.match("+1201555\u0660123")  # an Arabic-Indic zero
    # Such forms are still read, by the parser, into the ASCII number the index holds.
    assert caller_candidates("+1201555\u0660123", ("US",)) == ("+12015550123",)
    assert to_e164("+12015550123\n", "US") == "+12015550123"
