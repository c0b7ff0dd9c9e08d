"""Scrubs PHI out of any text bound for a log line, a logged exception or a crash file.

Code logs record ids, never names or numbers; this layer is the safety net for the
day someone forgets, or an exception message quotes a value. Two nets:

* patterns for what has a shape: phone numbers, dates, e-mail addresses, SSNs, MRN
  labels, street addresses and ``name=...`` style key/value pairs;
* a bounded registry of known values (the names of patients this process has shown),
  since a name has no shape a pattern can find.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable

_KEYED = re.compile(
    r"(?i)\b(first_?name|last_?name|full_?name|given|family|name|dob|birth_?date|date_of_birth|"
    r"phone|phone_?number|mobile|address|street|mrn|ssn|email)(\s*[=:]\s*)"
    r"('[^']*'|\"[^\"]*\"|[^\s,;)}\]]+)"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[email]"),
    (re.compile(r"(?i)\bMRN[\s:#-]*[A-Z0-9][A-Z0-9-]*"), "[mrn]"),
    (re.compile(r"\b\d{3}-\d{2}-\d{4}\b"), "[ssn]"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?\b"), "[date]"),
    (re.compile(r"\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b"), "[date]"),
    (
        re.compile(
            r"\b\d{1,6}\s+(?:[A-Z][a-z]+\s+){1,3}"
            r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl)\b\.?"
        ),
        "[address]",
    ),
)
# Phone numbers: 7 to 15 digits, optionally grouped, not glued to other word characters
# (so hex ids and UUIDs survive).
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d\s().-]{5,20}\d(?![\w])")
_MIN_PHONE_DIGITS = 7
_MAX_KNOWN = 20_000
_MIN_KNOWN_LEN = 3


def _phone_sub(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    return "[phone]" if _MIN_PHONE_DIGITS <= digits <= 15 else text


class Redactor:
    """Pattern rules plus a registry of known PHI values; thread-safe."""

    def __init__(self) -> None:
        self._known: OrderedDict[str, None] = OrderedDict()
        self._known_re: re.Pattern[str] | None = None
        self._stale = False
        self._lock = threading.Lock()

    def register(self, values: Iterable[str | None]) -> None:
        """Remember values (names, say) that must never be written anywhere.

        Cheap enough for the screen-pop path: the pattern is rebuilt only when a line is
        next redacted, not here.
        """
        with self._lock:
            known = self._known
            for value in values:
                if not value:
                    continue
                if value in known:  # the usual case on a screen-pop: a name seen before
                    known.move_to_end(value)
                    continue
                term = value.strip()
                if len(term) < _MIN_KNOWN_LEN:
                    continue
                if term in self._known:
                    self._known.move_to_end(term)
                    continue
                self._known[term] = None
                self._stale = True
                while len(self._known) > _MAX_KNOWN:
                    self._known.popitem(last=False)

    def clear(self) -> None:
        """Forget every registered value (at sign-out: the next agent's session starts with
        none of the previous one's patients in memory)."""
        with self._lock:
            self._known.clear()
            self._known_re = None
            self._stale = False

    def known_count(self) -> int:
        with self._lock:
            return len(self._known)

    def _known_pattern(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._stale:
                ordered = sorted(self._known, key=len, reverse=True)
                self._known_re = (
                    re.compile(
                        r"(?i)(?<!\w)(" + "|".join(re.escape(t) for t in ordered) + r")(?!\w)"
                    )
                    if ordered
                    else None
                )
                self._stale = False
            return self._known_re

    def redact(self, text: str) -> str:
        if not text:
            return text
        known = self._known_pattern()
        if known is not None:
            text = known.sub("[redacted]", text)
        text = _KEYED.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return _PHONE.sub(_phone_sub, text)


REDACTOR = Redactor()
"""The process-wide redactor that the logging handlers and the crash writer use."""


def register_phi(*values: str | None) -> None:
    REDACTOR.register(values)


def forget_phi() -> None:
    REDACTOR.clear()


def redact(text: str) -> str:
    return REDACTOR.redact(text)
