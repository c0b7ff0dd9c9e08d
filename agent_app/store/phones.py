"""Phone numbers to E.164: what the cache stores and what a caller id is looked up by.

The server sends E.164 already; anything else (a national number typed by a supervisor,
a caller id with or without the trunk prefix, an international prefix such as ``011`` or
``00``) is parsed with ``phonenumbers`` in a region: the campaign's default region when
the number belongs to a campaign, else the store's default. A caller id that might be
read in several regions yields every distinct reading, and the lookup tries them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import phonenumbers

from agent_app.store.errors import InvalidItemError
from pulse_contract import patient

# The contract's form; ``\Z``, not ``$``, which would let a trailing newline through.
E164 = re.compile(rf"^{patient.E164}\Z")
_SIP_URI = re.compile(r"^(?:sips?|tel):([^@;>]+)", re.IGNORECASE)
_VISUAL = re.compile(r"[\s().\-/]")


class InvalidPhoneNumberError(InvalidItemError):
    """A number that cannot be read as a phone number in the given region."""


def _clean(raw: str) -> str:
    text = raw.strip().strip("<>")
    match = _SIP_URI.match(text)
    if match:
        text = match.group(1)
    return _VISUAL.sub("", text)


def to_e164(raw: str, region: str) -> str:
    """The E.164 form of ``raw`` read in ``region``; raises :class:`InvalidPhoneNumberError`."""
    text = _clean(raw)
    if E164.match(text):
        return text
    try:
        parsed = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumberError(
            f"not a phone number in region {region} ({len(text)} characters)"
        ) from None
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidPhoneNumberError(f"not a possible phone number in region {region}")
    number = str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
    # phonenumbers deems some short digit runs possible ("0000" in GB gives "+440000"),
    # shorter than E.164 allows: the index and the wire contract take only E.164.
    if not E164.match(number):
        raise InvalidPhoneNumberError(f"not a possible phone number in region {region}")
    return number


def caller_candidates(raw: str, regions: Iterable[str]) -> tuple[str, ...]:
    """Every distinct E.164 reading of a caller id in the given regions (maybe none)."""
    if E164.match(raw):  # a trunk that already sends E.164: nothing to clean
        return (raw,)
    text = _clean(raw)
    if E164.match(text):
        return (text,)
    found: list[str] = []
    for region in regions:
        try:
            number = to_e164(text, region)
        except InvalidPhoneNumberError:
            continue
        if number not in found:
            found.append(number)
    return tuple(found)
