"""What the agent types or pastes into the number field, as the target the phone dials.

Numbers come from anywhere: a patient letter, a spreadsheet, an e-mail signature. So the
field accepts every common form — ``(202) 555-0143``, ``+1 202.555.0143``,
``011 44 20 7946 0958``, ``tel:+12025550143``, full-width digits, Word's dashes, and a
number inside a line of text — and reads national numbers in the campaign's region
(:func:`dial_target`). Internal extensions (up to six digits or a name such as
``nurse-line``) and SIP addresses go through untouched.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

import phonenumbers

from agent_app.store.phones import E164, InvalidPhoneNumberError, to_e164

_DASHES = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
_VISUAL = re.compile(r"[\s().\-/]")
_EXTENSION = re.compile(r"^[0-9*#]{1,6}\Z")
_NAMED_EXTENSION = re.compile(r"^[A-Za-z][A-Za-z0-9._~-]*\Z")


class DialProblem(StrEnum):
    EMPTY = "empty"
    NOT_A_NUMBER = "not_a_number"


class InvalidDialString(ValueError):
    """Nothing dialable in the text; ``problem`` says which case (views word it)."""

    def __init__(self, problem: DialProblem) -> None:
        super().__init__(f"cannot dial: {problem.value}")
        self.problem = problem


def tidy(text: str) -> str:
    """Unicode look-alikes to ASCII (full-width digits, typographic dashes), trimmed."""
    text = unicodedata.normalize("NFKC", text)
    text = _DASHES.sub("-", text).replace("\u00a0", " ")
    return text.strip().strip("\"'<>").strip()


def dial_target(text: str, region: str) -> str:
    """The dial string for ``text``: E.164 for a phone number read in ``region``.

    Raises :class:`InvalidDialString` when nothing in ``text`` can be dialled.
    """
    cleaned = tidy(text)
    if not cleaned:
        raise InvalidDialString(DialProblem.EMPTY)
    lowered = cleaned.lower()
    if lowered.startswith(("sip:", "sips:")) or "@" in cleaned:
        if any(c.isspace() for c in cleaned):
            raise InvalidDialString(DialProblem.NOT_A_NUMBER)
        return cleaned
    if lowered.startswith("tel:"):
        cleaned = cleaned[4:].split(";", 1)[0]
    if _NAMED_EXTENSION.match(cleaned):
        return cleaned
    compact = _VISUAL.sub("", cleaned)
    if _EXTENSION.match(compact):
        return compact
    try:
        return to_e164(cleaned, region)
    except InvalidPhoneNumberError:
        pass
    # A number inside other words ("Mobile: 202-555-0143, after 5 pm").
    for match in phonenumbers.PhoneNumberMatcher(cleaned, region.upper()):
        number = str(phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164))
        if E164.match(number):
            return number
    raise InvalidDialString(DialProblem.NOT_A_NUMBER)
