"""Feed items as cache rows: the feeds there are, and a patient item checked into its row."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from agent_app.store.errors import InvalidItemError
from agent_app.store.names import name_key
from agent_app.store.phones import E164, InvalidPhoneNumberError, to_e164
from agent_app.store.records import PACKED_SEP
from pulse_contract import rules
from pulse_contract.patient import PHONE_KINDS, read_patient
from pulse_contract.rules import ContractViolationError

log = logging.getLogger(__name__)

FEEDS = ("patients", "campaigns", "scripts", "code_trees", "not_ready_reasons")
DOCUMENT_FEEDS = ("campaigns", "scripts", "code_trees", "not_ready_reasons")
ISO_DATE = re.compile(rules.ISO_DATE)
"""A date as a search takes it (``fullmatch``): the contract's form."""
_KIND = re.compile(r"^[a-z_]{1,16}$")
_KNOWN_KINDS = frozenset((*PHONE_KINDS, "other"))
# Phones and campaign ids ride on the patient row as text (see ``records.PACKED_SEP``).
_SEP = PACKED_SEP


def check_feed(feed: str) -> None:
    if feed not in FEEDS:
        raise ValueError(f"unknown feed {feed!r} (known: {', '.join(FEEDS)})")


def packed_numbers(packed: str) -> list[int]:
    """The phone index keys of a row's packed phones."""
    return [int(p.partition("+")[2]) for p in packed.split(_SEP)] if packed else []


def patient_row(
    item: Mapping[str, Any], region_for: Callable[[list[str]], str]
) -> tuple[list[Any], list[int], list[str]]:
    """The row (its key, first, still to be set), its phone keys and its campaigns.

    The item is checked against the contract (:func:`pulse_contract.patient.read_patient`);
    its phones are read more leniently, one at a time: a number the server sent in
    another form is read in ``region_for(campaigns)``, and one that cannot be read is left
    out, not the patient (an unknown kind is kept if it looks like one, else "other").
    """
    try:
        (pid, mrn, given, family, birth_date, phones, language, time_zone, consent_calls,
         do_not_call, care_program, campaigns, _, _, version) = read_patient(item)  # fmt: skip
    except ContractViolationError as exc:
        raise InvalidItemError(str(exc)) from None
    if len(campaigns) == 1:  # nearly every patient
        packed_campaigns = campaigns[0]
        if _SEP in packed_campaigns:
            raise InvalidItemError("field campaign_ids holds an id the cache cannot pack")
    else:
        campaigns = list(dict.fromkeys(campaigns))
        packed_campaigns = _SEP.join(campaigns)
        if packed_campaigns.count(_SEP) != len(campaigns) - 1:
            raise InvalidItemError("field campaign_ids holds an id the cache cannot pack")
    region = ""
    numbers: list[int] = []
    packed: list[str] = []
    e164 = E164.match
    for entry in phones or ():
        try:
            number = entry["number"]
            # The server sends E.164: a pattern check, not a parse, unless it is not.
            if type(number) is not str or e164(number) is None:
                region = region or region_for(campaigns)
                number = to_e164(str(number), region)
            kind = entry.get("kind") or "other"
        except (KeyError, TypeError, AttributeError, InvalidPhoneNumberError):
            log.warning("patient %s: an unreadable phone number was left out", pid)
            continue
        if kind not in _KNOWN_KINDS and not (type(kind) is str and _KIND.match(kind)):
            kind = "other"
        key = int(number[1:])
        if key not in numbers:
            numbers.append(key)
        packed.append(kind + number)
    # A field left out reads as None and takes its cautious value here (no consent, "en"):
    # the server sends every field, and a missing one is no reason to hide the patient.
    row = [
        None,
        pid,
        mrn,
        given,
        family,
        name_key(given),
        name_key(family),
        birth_date,
        language or "en",
        time_zone or "",
        1 if consent_calls else 0,
        1 if do_not_call else 0,
        care_program,
        _SEP.join(packed),
        packed_campaigns,
        version or 0,
    ]
    return row, numbers, campaigns


def str_field(item: Mapping[str, Any], name: str, owner: str) -> str:
    value = item.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidItemError(f"{owner}: field {name} is missing")
    return str(value)


def item_id(item: object) -> str | None:
    # ``type`` first: a dict (every item of a page) spares the costly ABC check.
    value = item.get("id") if type(item) is dict or isinstance(item, Mapping) else None
    return value if type(value) is str and value else None


def safe_id(item: object) -> str:
    if isinstance(item, Mapping):
        value = item.get("id")
        if isinstance(value, str) and len(value) <= 64:
            return value
    return "<no id>"
