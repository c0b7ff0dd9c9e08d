"""Property tests: lookups agree with a plain in-memory model of the same population."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_app.store.agent_store import AgentStore
from testbed.store_population import campaign_item, fiction_number
from tests.integration.store.conftest import OpenStore

pytestmark = pytest.mark.integration

GIVEN = ("Alana", "Brieben", "Corwyn", "Élodie", "Jo-Ann")
FAMILY = ("Ashworth", "Birchley", "O'Dunmere", "Núñez", "Kest-Wick")
DATES = ("1950-01-02", "1961-04-12", "1988-12-31")


@st.composite
def population(draw: st.DrawFn) -> list[dict[str, Any]]:
    size = draw(st.integers(1, 25))
    items = []
    for i in range(size):
        numbers = draw(st.lists(st.integers(0, 30), min_size=0, max_size=3, unique=True))
        items.append(
            {
                "id": f"pat-{i}",
                "mrn": f"MRN{draw(st.integers(0, 40)):05d}",
                "given_name": draw(st.sampled_from(GIVEN)),
                "family_name": draw(st.sampled_from(FAMILY)),
                "birth_date": draw(st.sampled_from(DATES)),
                "phones": [{"number": fiction_number(n), "kind": "home"} for n in numbers],
                "campaign_ids": ["camp-a"],
                "version": 1,
            }
        )
    return items


@pytest.fixture
def store(open_store: OpenStore) -> AgentStore:
    store = open_store(verify="none")
    store.cache.apply_snapshot(
        "campaigns", [campaign_item("camp-a")], cursor="c", first=True, last=True
    )
    return store


def _national(e164: str) -> str:
    return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(items=population(), probe=st.integers(0, 31))
def test_lookups_match_the_model(
    store: AgentStore, items: list[dict[str, Any]], probe: int
) -> None:
    store.cache.apply_snapshot("patients", items, cursor="p", first=True, last=True)
    by_phone: dict[str, set[str]] = defaultdict(set)
    for item in items:
        for phone in item["phones"]:
            by_phone[phone["number"]].add(item["id"])
    number = fiction_number(probe)
    expected = by_phone.get(number, set())
    assert {r.id for r in store.cache.by_phone(number)} == expected
    assert {r.id for r in store.cache.by_phone(_national(number))} == expected
    assert {r.id for r in store.cache.by_phone("1" + number[2:])} == expected

    target = items[probe % len(items)]
    assert {r.id for r in store.cache.by_mrn(target["mrn"])} == {
        i["id"] for i in items if i["mrn"] == target["mrn"]
    }
    found = store.cache.by_name_dob(target["family_name"].upper(), target["birth_date"])
    assert {r.id for r in found} == {
        i["id"]
        for i in items
        if i["family_name"] == target["family_name"] and i["birth_date"] == target["birth_date"]
    }
    assert store.cache.counts()["patients"] == len(items)
