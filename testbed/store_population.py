"""Synthetic patients for store tests and the cache benchmark: invented names, 555 numbers.

Deterministic for a seed. Numbers are ``+1 NPA 555 XXXX``: tests use the 555-01XX lines
reserved for fiction; the million-patient benchmark needs the whole 555 exchange.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

_GIVEN_PARTS = ("Al", "Bri", "Cor", "Dav", "El", "Fen", "Gal", "Hal", "Ir", "Jo", "Kel", "Lor")
_GIVEN_ENDS = ("ana", "ben", "dric", "ella", "ian", "ora", "ric", "wyn", "ette", "ius")
_FAMILY_PARTS = ("Ash", "Birch", "Cald", "Dun", "Esk", "Fair", "Glen", "Holl", "Ing", "Kest")
_FAMILY_ENDS = ("worth", "ley", "brook", "mere", "ton", "field", "ridge", "wick", "more", "dale")


def synthetic_name(rng: random.Random) -> tuple[str, str]:
    given = rng.choice(_GIVEN_PARTS) + rng.choice(_GIVEN_ENDS)
    family = rng.choice(_FAMILY_PARTS) + rng.choice(_FAMILY_ENDS) + rng.choice(("", "s", "er"))
    return given, family


def number(npa: int, line: int) -> str:
    return f"+1{npa:03d}555{line:04d}"


def fiction_number(index: int) -> str:
    """The index-th of the 555-01XX numbers (100 per area code, area codes 201..999)."""
    return number(201 + index // 100, 100 + index % 100)


def wide_number(index: int) -> str:
    """The index-th number of the whole 555 exchange (10,000 per area code)."""
    return number(201 + index // 10_000, index % 10_000)


def patient_items(
    count: int,
    *,
    seed: int = 7,
    campaign_ids: tuple[str, ...] = ("camp-a",),
    wide: bool = False,
    household_every: int = 0,
    start: int = 0,
) -> Iterator[dict[str, Any]]:
    """``count`` patient feed items; every ``household_every``-th shares the previous phone."""
    rng = random.Random(seed * 1_000_003 + start)
    make = wide_number if wide else fiction_number
    phone_index = start * 2
    for i in range(start, start + count):
        given, family = synthetic_name(rng)
        shared = household_every and i % household_every == 1 and i > start
        home = make(phone_index - 2) if shared else make(phone_index)
        phones = [
            {"number": home, "kind": "home"},
            {"number": make(phone_index + 1), "kind": "mobile"},
        ]
        phone_index += 2
        yield {
            "id": f"pat-{i:08d}",
            "mrn": f"MRN{i + 500_000:08d}",
            "given_name": given,
            "family_name": family,
            "birth_date": f"{1930 + rng.randrange(80)}-{1 + rng.randrange(12):02d}-"
            f"{1 + rng.randrange(28):02d}",
            "phones": phones,
            "language": rng.choice(("en", "en", "en", "es")),
            "time_zone": "America/Chicago",
            "consent_calls": True,
            "do_not_call": False,
            "care_program": rng.choice((None, "diabetes", "cardiac")),
            "campaign_ids": list(campaign_ids),
            "address_city": None,
            "address_state": None,
            "version": 1,
        }


def campaign_item(campaign_id: str, *, region: str = "US") -> dict[str, Any]:
    return {
        "id": campaign_id,
        "name": f"Campaign {campaign_id}",
        "kind": "preview",
        "calling_window": {"start": "08:00", "end": "21:00"},
        "caller_id": "+12015550100",
        "max_attempts": 3,
        "script_id": "script-1",
        "code_tree_id": "tree-1",
        "default_region": region,
        "version": 1,
    }
