"""Does what the caller says match the record? Two identifiers, compared after normalising.

Pure functions, no I/O. Three identifiers count: the *name* (family name, with the given
name when one was said), the *date of birth* and the *MRN*. A check needs at least two of
them, and every identifier given must match: a right date of birth does not excuse a wrong
family name. Names are compared without case, accents, spaces or punctuation; dates are read
in the usual written forms; MRNs without case, spaces or separators. Results name the
identifiers, never their values, so they are safe to log and to audit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol

NAME, BIRTH_DATE, MRN = "name", "birth_date", "mrn"
REQUIRED = 2

# Letters NFKD does not take apart into a base letter and a mark.
_LETTERS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d", "ł": "l", "ı": "i", "þ": "th", "ð": "d"}
)
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_TOKENS = re.compile(r"\d+|[^\W\d_]+")
_FILLERS = frozenset(("st", "nd", "rd", "th", "of", "the"))  # "the 3rd of February"


class IdentityRecord(Protocol):
    """What a check reads from a patient record (:class:`PatientRecord` has these)."""

    @property
    def id(self) -> str: ...
    @property
    def family_name(self) -> str: ...
    @property
    def given_name(self) -> str: ...
    @property
    def birth_date(self) -> str: ...
    @property
    def mrn(self) -> str: ...


@dataclass(frozen=True, repr=False)
class Claim:
    """The identifiers the caller gave, as the agent typed them (empty = not given)."""

    family_name: str = ""
    given_name: str = ""
    birth_date: str = ""
    mrn: str = ""

    def __repr__(self) -> str:  # what a caller says is PHI
        return "Claim(...)"


class Outcome(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"
    INSUFFICIENT = "insufficient"
    """Fewer than two identifiers were given (or one could not be read): not an attempt."""


@dataclass(frozen=True)
class IdentityCheck:
    outcome: Outcome
    compared: tuple[str, ...] = ()
    mismatched: tuple[str, ...] = ()
    unreadable: tuple[str, ...] = ()


def normalise_name(text: str) -> str:
    """``"O'Brien-Núñez "``, ``"obrien nunez"`` and ``"OBRIENNUNEZ"`` give the same form."""
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_LETTERS))
    return "".join(ch for ch in folded if ch.isalnum() and not unicodedata.combining(ch))


def normalise_mrn(text: str) -> str:
    """Letters and digits only, upper case: ``"mrn-009 001"`` → ``"MRN009001"``."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isalnum()).upper()


def parse_date(text: str, *, day_first: bool = False) -> date | None:
    """A date as people write it, or None when it cannot be read without guessing.

    ISO (``1958-02-03``, ``19580203``), numeric with the year last (``02/03/1958``: month
    first unless ``day_first``, but a first or second number above 12 settles it), and
    with a month name (``3 Feb 1958``, ``February 3, 1958``). Two-digit years are refused:
    a date of birth cannot be guessed to the century.
    """
    tokens = _TOKENS.findall(text.casefold())
    words = [t for t in tokens if not t.isdigit() and t not in _FILLERS]
    numbers = [t for t in tokens if t.isdigit()]
    try:
        if words:
            return _with_month_name(words, numbers)
        if len(numbers) == 1 and len(numbers[0]) == 8:
            n = numbers[0]
            return date(int(n[:4]), int(n[4:6]), int(n[6:]))
        if len(numbers) == 3 and len(numbers[0]) == 4:
            return date(int(numbers[0]), int(numbers[1]), int(numbers[2]))
        if len(numbers) == 3 and len(numbers[2]) == 4:
            first, second, year = (int(n) for n in numbers)
            if first > 12 or (day_first and second <= 12):
                first, second = second, first
            return date(year, first, second)
    except ValueError:
        return None
    return None


def _with_month_name(words: list[str], numbers: list[str]) -> date | None:
    months = [m for m in range(1, 13) if len(words) == 1 and _month_matches(words[0], m)]
    if len(months) != 1 or len(numbers) != 2:
        return None
    years = [n for n in numbers if len(n) == 4]
    days = [n for n in numbers if len(n) <= 2]
    if len(years) != 1 or len(days) != 1:
        return None
    return date(int(years[0]), months[0], int(days[0]))


def _month_matches(word: str, month: int) -> bool:
    return len(word) >= 3 and _MONTHS[month - 1].startswith(word)


def check_identity(
    record: IdentityRecord, claim: Claim, *, day_first: bool = False
) -> IdentityCheck:
    """Compare every identifier the caller gave with the record."""
    compared: list[str] = []
    mismatched: list[str] = []
    unreadable: list[str] = []
    if normalise_name(claim.family_name):
        compared.append(NAME)
        same_family = normalise_name(claim.family_name) == normalise_name(record.family_name)
        given = normalise_name(claim.given_name)
        if not same_family or (given and given != normalise_name(record.given_name)):
            mismatched.append(NAME)
    if claim.birth_date.strip():
        said = parse_date(claim.birth_date, day_first=day_first)
        if said is None:
            unreadable.append(BIRTH_DATE)
        else:
            compared.append(BIRTH_DATE)
            if said != _record_date(record.birth_date):
                mismatched.append(BIRTH_DATE)
    if normalise_mrn(claim.mrn):
        compared.append(MRN)
        if normalise_mrn(claim.mrn) != normalise_mrn(record.mrn):
            mismatched.append(MRN)
    if unreadable or len(compared) < REQUIRED:
        return IdentityCheck(Outcome.INSUFFICIENT, tuple(compared), (), tuple(unreadable))
    outcome = Outcome.MISMATCH if mismatched else Outcome.MATCH
    return IdentityCheck(outcome, tuple(compared), tuple(mismatched))


def _record_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None
