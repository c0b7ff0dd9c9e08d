"""Retention: unassigned patients purged, everything wiped on revoke, offline lock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent_app.secrets.store import SecretStore
from agent_app.store.errors import CacheLockedError, StoreClosedError, UnsyncedEntriesError
from agent_app.store.keys import StoreKeys
from testbed.store_population import campaign_item, patient_items
from tests.integration.store.conftest import WORKSTATION, OpenStore, seed

pytestmark = pytest.mark.integration


def test_patients_of_a_removed_campaign_are_purged(open_store: OpenStore) -> None:
    store = open_store()
    cache = store.cache
    cache.apply_snapshot(
        "campaigns",
        [campaign_item("camp-a"), campaign_item("camp-b")],
        cursor="c-1",
        first=True,
        last=True,
    )
    only_a = list(patient_items(3, campaign_ids=("camp-a",), start=0))
    both = list(patient_items(2, campaign_ids=("camp-a", "camp-b"), start=10))
    only_b = list(patient_items(2, campaign_ids=("camp-b",), start=20))
    cache.apply_snapshot("patients", only_a + both + only_b, cursor="p", first=True, last=True)
    # The agent is taken off campaign A: the server drops it from the campaign feed.
    cache.apply_delta("campaigns", [], ["camp-a"], cursor="c-2")
    assert all(cache.get(i["id"]) is None for i in only_a)
    assert all(cache.get(i["id"]) is not None for i in only_b)
    for item in both:
        record = cache.get(item["id"])
        assert record is not None
        assert record.campaign_ids == ("camp-b",)
    assert store.caller_lookup(only_a[0]["phones"][0]["number"]) == []
    assert cache.counts()["patients"] == 4


def test_no_purge_before_the_campaign_list_is_known(open_store: OpenStore) -> None:
    store = open_store()
    items = list(patient_items(3))
    store.cache.apply_snapshot("patients", items, cursor="p", first=True, last=True)
    assert store.cache.purge_unassigned() == 0
    assert store.cache.counts()["patients"] == 3


def test_remote_revoke_wipes_files_and_keys(
    open_store: OpenStore, secrets: SecretStore, agent_id: str
) -> None:
    store = open_store()
    seed(store, 20)
    store.journal.enqueue("disposition", {"call_id": "c"})
    layout = store.layout
    store.wipe_for_revoke()
    assert not [p for p in layout.directory.iterdir() if p.name != "store.lock"]
    keys = StoreKeys(secrets, agent_id, WORKSTATION)
    assert (keys.get("cache"), keys.get("journal")) == (None, None)
    with pytest.raises(StoreClosedError):
        store.caller_lookup("+12015550100")
    fresh = open_store()
    assert sorted(fresh.report.provisioned) == ["cache", "journal"]


def test_cache_locks_after_the_offline_limit_until_the_server_is_reached(
    open_store: OpenStore,
) -> None:
    store = open_store(max_offline_hours=2)
    items = seed(store, 5)
    number = items[0]["phones"][0]["number"]
    assert store.caller_lookup(number)
    store.record_server_contact(datetime.now(UTC) - timedelta(hours=3))
    with pytest.raises(CacheLockedError, match="too long without reaching the server"):
        store.caller_lookup(number)
    with pytest.raises(CacheLockedError):
        store.search_mrn(items[0]["mrn"], reason="t")
    assert store.status()["cache_locked"] == "too long without reaching the server"
    store.close()
    # The limit survives a restart: it is kept in the journal.
    store = open_store(max_offline_hours=2)
    with pytest.raises(CacheLockedError):
        store.caller_lookup(number)
    store.record_server_contact()
    assert [r.id for r in store.caller_lookup(number)] == [items[0]["id"]]


def test_it_wipe_of_the_journal_refuses_while_entries_are_unsynced(
    open_store: OpenStore,
) -> None:
    store = open_store()
    item = store.journal.enqueue("disposition", {"call_id": "c"})
    store.wipe_cache()
    with pytest.raises(UnsyncedEntriesError, match="1 entries"):
        store.wipe_journal()
    store.journal.next_batch(1)
    store.journal.mark_acknowledged([item])
    store.wipe_journal()
    assert not store.layout.journal.exists()


def test_it_wipe_of_the_journal_refuses_while_a_wrap_up_is_unfinished(
    open_store: OpenStore,
) -> None:
    store = open_store()
    store.journal.save_draft("record-1", "disposition", {"code": "CONFIRMED", "notes": "x"})
    with pytest.raises(UnsyncedEntriesError, match="1 unfinished wrap-ups"):
        store.wipe_journal()
    assert store.layout.journal.exists()
    store.journal.drop_draft("record-1")
    store.wipe_journal()
    assert not store.layout.journal.exists()
