"""The patient cache on a real SQLCipher file with keys from the real gnome-keyring."""

from __future__ import annotations

import pytest

from agent_app.store.errors import InvalidItemError
from testbed.store_population import campaign_item, fiction_number, patient_items
from tests.integration.store.conftest import OpenStore, seed

pytestmark = pytest.mark.integration


def test_caller_lookup_in_national_and_international_forms(open_store: OpenStore) -> None:
    store = open_store()
    items = seed(store, 20)
    target = items[7]
    e164 = target["phones"][1]["number"]  # +1NPA555LINE
    npa, line = e164[2:5], e164[8:]
    for form in (e164, f"({npa}) 555-{line}", f"1 {npa} 555 {line}", f"{npa}555{line}"):
        found = store.caller_lookup(form)
        assert [r.id for r in found] == [target["id"]], form
    record = found[0]
    assert record.mrn == target["mrn"]
    assert record.family_name == target["family_name"]
    assert record.birth_date == target["birth_date"]
    assert {p.number for p in record.phones} == {p["number"] for p in target["phones"]}
    assert record.campaign_ids == ("camp-a",)
    assert store.caller_lookup("+12015550999") == []
    assert store.caller_lookup("not a number") == []


def test_shared_household_number_returns_every_match(open_store: OpenStore) -> None:
    store = open_store()
    items = seed(store, 12, household_every=3)
    shared = items[1]["phones"][0]["number"]
    owners = {i["id"] for i in items if any(p["number"] == shared for p in i["phones"])}
    assert len(owners) == 2
    assert {r.id for r in store.caller_lookup(shared)} == owners


def test_lookup_by_mrn_and_by_name_and_birth_date_are_audited(open_store: OpenStore) -> None:
    store = open_store()
    items = seed(store, 30)
    target = items[4]
    assert [r.id for r in store.search_mrn(target["mrn"], reason="inbound call")] == [target["id"]]
    found = store.search_name_dob(
        target["family_name"].upper(), target["birth_date"], reason="no caller id match"
    )
    assert target["id"] in {r.id for r in found}
    narrowed = store.search_name_dob(
        target["family_name"],
        target["birth_date"],
        given_name=target["given_name"].lower(),
        reason="no caller id match",
    )
    assert target["id"] in {r.id for r in narrowed}
    assert all(r.given_name == target["given_name"] for r in narrowed)
    audits = [i.payload for i in store.journal.next_batch(10) if i.kind == "audit"]
    assert [a["action"] for a in audits] == ["search", "search", "search"]
    assert audits[0]["patient_id"] == target["id"]
    assert all(a["reason"] for a in audits)
    with pytest.raises(InvalidItemError):
        store.cache.by_name_dob("Ashworth", "12/04/1961")


def test_identity_verification_and_views_go_to_the_audit_log(open_store: OpenStore) -> None:
    store = open_store()
    target = seed(store, 5)[2]
    pid = target["id"]
    assert store.verify_identity(
        pid, family_name=target["family_name"], birth_date=target["birth_date"], reason="call"
    )
    assert not store.verify_identity(
        pid, family_name=target["family_name"], birth_date="1900-01-01", reason="call"
    )
    store.record_view(pid, reason="screen-pop")
    store.record_reveal(pid, "birth_date", reason="identity verified")
    payloads = [i.payload for i in store.journal.next_batch(10)]
    assert [(p["action"], p["result"]) for p in payloads] == [
        ("verify_identity", "verified"),
        ("verify_identity", "not verified"),
        ("view", "ok"),
        ("reveal", "birth_date"),
    ]
    assert all(p["patient_id"] == pid for p in payloads)


def test_multi_page_snapshot_replaces_the_slice_only_when_complete(open_store: OpenStore) -> None:
    store = open_store()
    old = seed(store, 10)
    cache = store.cache
    new = list(patient_items(6, seed=99, start=100))
    cache.apply_snapshot("patients", new[:3], cursor="s-1", first=True, last=False)
    # Mid-snapshot: the old slice still answers, the new one is not visible yet.
    assert cache.get(old[0]["id"]) is not None
    assert cache.get(new[0]["id"]) is None
    assert cache.feed_state("patients").snapshot_cursor == "s-1"
    cache.apply_snapshot("patients", new[3:], cursor="s-2", first=False, last=True)
    assert cache.get(old[0]["id"]) is None
    assert {cache.get(i["id"]).id for i in new} == {i["id"] for i in new}  # type: ignore[union-attr]
    assert store.caller_lookup(old[0]["phones"][0]["number"]) == []
    state = cache.feed_state("patients")
    assert (state.cursor, state.snapshot_cursor) == ("s-2", None)
    assert cache.counts()["patients"] == 6
    assert store.search_mrn(new[0]["mrn"], reason="t")[0].id == new[0]["id"]


def test_an_interrupted_snapshot_restarts_cleanly(open_store: OpenStore) -> None:
    store = open_store()
    seed(store, 4)
    cache = store.cache
    cache.apply_snapshot(
        "patients", list(patient_items(3, start=50)), cursor="x", first=True, last=False
    )
    fresh = list(patient_items(2, start=80))
    cache.apply_snapshot("patients", fresh, cursor="y", first=True, last=True)
    assert cache.counts()["patients"] == 2  # nothing of the abandoned snapshot survived


def test_deltas_upsert_and_delete(open_store: OpenStore) -> None:
    store = open_store()
    items = seed(store, 5)
    changed = dict(items[0], family_name="Kestmere", version=2)
    changed["phones"] = [{"number": fiction_number(900), "kind": "mobile"}]
    result = store.cache.apply_delta(
        "patients", [changed], [items[1]["id"], "pat-unknown"], cursor="p-2"
    )
    assert (result.applied, result.deleted, result.skipped) == (1, 1, 0)
    assert store.cache.get(items[1]["id"]) is None
    assert store.caller_lookup(items[0]["phones"][0]["number"]) == []
    [record] = store.caller_lookup(fiction_number(900))
    assert (record.family_name, record.version) == ("Kestmere", 2)
    assert store.cache.feed_state("patients").cursor == "p-2"


def test_non_e164_numbers_use_the_campaign_region(open_store: OpenStore) -> None:
    store = open_store()
    cache = store.cache
    cache.apply_snapshot(
        "campaigns", [campaign_item("camp-uk", region="GB")], cursor="c", first=True, last=True
    )
    [item] = patient_items(1, campaign_ids=("camp-uk",))
    item["phones"] = [{"number": "020 7946 0123", "kind": "home"}, {"number": "??", "kind": "x"}]
    cache.apply_delta("patients", [item], [], cursor="p")
    [record] = cache.by_phone("+442079460123")
    assert [p.number for p in record.phones] == ["+442079460123"]
    assert [r.id for r in cache.by_phone("020 7946 0123")] == [item["id"]]


def test_malformed_items_are_skipped_and_the_rest_applied(open_store: OpenStore) -> None:
    store = open_store()
    seed(store, 1)
    good = list(patient_items(2, start=10))
    bad = [{"id": "pat-bad-1"}, dict(good[0], id="pat-bad-2", birth_date="04/12/1961")]
    result = store.cache.apply_delta("patients", [*good, *bad], [], cursor="p")
    assert (result.applied, result.skipped) == (2, 2)
    assert store.cache.get("pat-bad-2") is None


def test_items_that_break_the_patient_contract_are_skipped(open_store: OpenStore) -> None:
    store = open_store()
    seed(store, 1)
    good, long_mrn, null_language, no_such_day = patient_items(4, start=20)
    long_mrn["mrn"] = "M" * 65
    null_language["language"] = None
    no_such_day["birth_date"] = "1961-02-30"
    result = store.cache.apply_delta(
        "patients", [good, long_mrn, null_language, no_such_day], [], cursor="p"
    )
    assert (result.applied, result.skipped) == (1, 3)
    assert store.cache.get(good["id"]) is not None
    assert store.cache.get(no_such_day["id"]) is None


def test_documents_round_trip(open_store: OpenStore) -> None:
    store = open_store()
    cache = store.cache
    script = {"id": "script-1", "name": "Reminder", "version": 3, "variants": {"en": {"steps": []}}}
    cache.apply_snapshot("scripts", [script], cursor="s", first=True, last=True)
    assert cache.document("scripts", "script-1") == script
    cache.apply_delta("scripts", [], ["script-1"], cursor="s2")
    assert cache.document("scripts", "script-1") is None
    with pytest.raises(ValueError, match="unknown feed"):
        cache.apply_delta("dogs", [], [], cursor="x")


@pytest.mark.parametrize("fill", ["first fill", "replacing a slice"])
def test_a_patient_repeated_across_snapshot_pages_keeps_its_latest_phones(
    open_store: OpenStore, fill: str
) -> None:
    store = open_store()
    if fill == "replacing a slice":
        seed(store, 3)
    [item] = patient_items(1, start=500)
    moved = dict(item, phones=[{"number": fiction_number(950), "kind": "mobile"}], version=2)
    store.cache.apply_snapshot("patients", [item], cursor="a", first=True, last=False)
    store.cache.apply_snapshot("patients", [moved], cursor="b", first=False, last=True)
    assert store.caller_lookup(item["phones"][0]["number"]) == []
    [record] = store.caller_lookup(fiction_number(950))
    assert (record.id, record.version) == (item["id"], 2)
    assert store.cache.counts() == {
        "patients": 1,
        "phones": 1,
        "campaigns": 1 if fill == "replacing a slice" else 0,
        "scripts": 0,
        "code_trees": 0,
        "not_ready_reasons": 0,
    }
