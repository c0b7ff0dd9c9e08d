"""What the number field accepts: numbers in every common form, extensions, SIP addresses."""

from __future__ import annotations

import pytest

from agent_app.workflow.dial_string import DialProblem, InvalidDialString, dial_target, tidy


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(202) 555-0143", "+12025550143"),
        ("202.555.0143", "+12025550143"),
        ("+1 202 555 0143", "+12025550143"),
        ("1-202-555-0143", "+12025550143"),
        ("tel:+1-202-555-0143", "+12025550143"),
        ("tel:2025550143;phone-context=example.org", "+12025550143"),
        ("\uff12\uff10\uff12\uff15\uff15\uff15\uff10\uff11\uff14\uff13", "+12025550143"),
        ("202\u2013555\u20130143", "+12025550143"),
        ("\u00a0 202 555 0143 \n", "+12025550143"),
        ('"(202) 555-0143"', "+12025550143"),
        ("011 44 20 7946 0958", "+442079460958"),
        ("Mobile: 202-555-0143, after 5 pm", "+12025550143"),
        ("2001", "2001"),
        ("*72", "*72"),
        ("nurse-line", "nurse-line"),
        ("sip:nurse@pbx.example:5060", "sip:nurse@pbx.example:5060"),
        ("nurse@pbx.example", "nurse@pbx.example"),
    ],
)
def test_common_forms_read_in_the_us(text: str, expected: str) -> None:
    assert dial_target(text, "US") == expected


def test_national_numbers_are_read_in_the_region_given() -> None:
    assert dial_target("020 7946 0958", "GB") == "+442079460958"
    assert dial_target("020 7946 0958", "gb") == "+442079460958"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", DialProblem.EMPTY),
        ("   ", DialProblem.EMPTY),
        ("call me maybe", DialProblem.NOT_A_NUMBER),
        ("12345678", DialProblem.NOT_A_NUMBER),
        ("sip:a b@pbx", DialProblem.NOT_A_NUMBER),
    ],
)
def test_what_cannot_be_dialled_says_why(text: str, problem: DialProblem) -> None:
    with pytest.raises(InvalidDialString) as caught:
        dial_target(text, "US")
    assert caught.value.problem is problem
    assert text.strip() == "" or text not in str(caught.value), "never the text in a message"


def test_tidy_keeps_ascii_and_trims() -> None:
    assert tidy(" \u2012202\u2011555 ") == "-202-555"
