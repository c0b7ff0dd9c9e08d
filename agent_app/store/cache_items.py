"""Feed items as cache rows: the feeds there are, what a patient item must hold, its row."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from agent_app.store.errors import InvalidItemError
from agent_app.store.names import name_key
from agent_app.store.phones import E164, InvalidPhoneNumberError, to_e164
from agent_app.store.records import PACKED_SEP

log = logging.getLogger(__name__)

FEEDS = ("patients", "campaigns", "scripts", "code_trees")
DOCUMENT_FEEDS = ("campaigns", "scripts", "code_trees")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_KIND = re.compile(r"^[a-z_]{1,16}$")
_KNOWN_KINDS = frozenset(("mobile", "home", "work", "other"))
# Phones and campaign ids ride on the patient row as text (see ``records.PACKED_SEP``).
_SEP = PACKED_SEP


def check_feed(feed: str) -> None:
    if feed not in FEEDS:
        raise ValueError(f"unknown feed {feed!r} (known: {', '.join(FEEDS)})")


def packed_numbers(packed: str) -> list[int]:
    """The phone index keys of a row's packed phones."""
    return [int(p.partition("+")[2]) for p in packed.split(_SEP)] if packed else []


def patient_row(  # noqa: PLR0912, PLR0915 - one flat validation pass, inline for speed
    item: Mapping[str, Any], region_for: Callable[[list[str]], str]
) -> tuple[list[Any], list[int], list[str]]:
    """The row (its key, first, still to be set), its phone keys and its campaigns.

    ``region_for`` gives the region a number that is not E.164 is read in.
    """
    # The hot path of a million-patient snapshot: plain dict access, no JSON.
    try:
        pid = item["id"]
        mrn = item["mrn"]
        given = item["given_name"]
        family = item["family_name"]
        birth_date = item["birth_date"]
        raw_campaigns = item["campaign_ids"]
    except (KeyError, TypeError) as exc:
        raise InvalidItemError(f"patient: field {exc.args[0]} is missing") from None
    if type(pid) is not str or not pid:
        raise InvalidItemError("patient: field id is missing or not text")
    if type(mrn) is not str or not mrn:
        raise InvalidItemError(f"patient {pid}: field mrn is missing or not text")
    if type(given) is not str or not given:
        raise InvalidItemError(f"patient {pid}: field given_name is missing or not text")
    if type(family) is not str or not family:
        raise InvalidItemError(f"patient {pid}: field family_name is missing or not text")
    if type(birth_date) is not str or not ISO_DATE.match(birth_date):
        raise InvalidItemError(f"patient {pid}: birth_date is not YYYY-MM-DD")
    if type(raw_campaigns) is not list or not raw_campaigns:
        raise InvalidItemError(f"patient {pid}: no campaign assignment")
    if len(raw_campaigns) == 1 and type(raw_campaigns[0]) is str:
        campaigns: list[str] = raw_campaigns
    else:
        campaigns = list(dict.fromkeys(c if type(c) is str else str(c) for c in raw_campaigns))
    packed_campaigns = _SEP.join(campaigns)
    if "" in campaigns or packed_campaigns.count(_SEP) != len(campaigns) - 1:
        raise InvalidItemError(f"patient {pid}: a campaign id is empty or malformed")
    region = ""
    numbers: list[int] = []
    packed: list[str] = []
    e164 = E164.match
    for entry in item.get("phones") or ():
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
    version = item.get("version", 0)
    if not isinstance(version, int):
        raise InvalidItemError(f"patient {pid}: version is not an integer")
    care_program = item.get("care_program")
    language = item.get("language")
    time_zone = item.get("time_zone")
    row = [
        None,
        pid,
        mrn,
        given,
        family,
        name_key(given),
        name_key(family),
        birth_date,
        language if type(language) is str and language else str(language or "en"),
        time_zone if type(time_zone) is str else str(time_zone or ""),
        1 if item.get("consent_calls") else 0,
        1 if item.get("do_not_call") else 0,
        care_program if care_program is None or type(care_program) is str else str(care_program),
        _SEP.join(packed),
        packed_campaigns,
        version,
    ]
    return row, numbers, campaigns


def str_field(item: Mapping[str, Any], name: str, owner: str) -> str:
    value = item.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidItemError(f"{owner}: field {name} is missing")
    return str(value)


def item_id(item: object) -> str | None:
    value = item.get("id") if isinstance(item, Mapping) else None
    return value if type(value) is str and value else None


def safe_id(item: object) -> str:
    if isinstance(item, Mapping):
        value = item.get("id")
        if isinstance(value, str) and len(value) <= 64:
            return value
    return "<no id>"
