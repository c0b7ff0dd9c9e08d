"""The desk's lists in the store: directories and settings inside campaign documents, the
not-ready reasons feed, the kept phone account; what a rebuild, a wipe and a malformed item do
to them."""

from __future__ import annotations

from typing import Any

import pytest

from agent_app.store.desk import CampaignSettings, DirectoryEntry, NotReadyReason, PhoneAccount
from testbed.store_population import campaign_item
from tests.integration.store.conftest import OpenStore

ACCOUNT = PhoneAccount("1001", "pbx.example.test", "pbx.example.test:5061", "tls", 3)


def campaign_with(directory: list[Any], campaign_id: str = "camp-a") -> dict[str, Any]:
    return {**campaign_item(campaign_id), "directory": directory}


def reason(code: str, label: str, position: int, *, productive: bool = False) -> dict[str, Any]:
    return {
        "id": code,
        "code": code,
        "label": label,
        "productive": productive,
        "position": position,
        "version": 1,
    }


def test_directory_comes_from_the_campaign_document(
    open_store: OpenStore, caplog: pytest.LogCaptureFixture
) -> None:
    store = open_store()
    assert store.directory("camp-a") == []
    entries = [
        {
            "label": "Nurse line",
            "number": "2100",
            "kind": "nurse_line",
            "language": None,
            "warm_allowed": True,
        },
        {"label": "Broken", "number": "", "kind": "other", "warm_allowed": True},
        {
            "label": "Interpreter",
            "number": "+19495550150",
            "kind": "interpreter",
            "language": "es",
            "warm_allowed": False,
        },
        "not an entry",
    ]
    store.cache.apply_snapshot(
        "campaigns",
        [campaign_with(entries), campaign_item("camp-old")],
        cursor="c-1",
        first=True,
        last=True,
    )
    assert store.directory("camp-a") == [
        DirectoryEntry("Nurse line", "2100", "nurse_line", None, True),
        DirectoryEntry("Interpreter", "+19495550150", "interpreter", "es", False),
    ]
    assert "malformed directory entry" in caplog.text
    assert store.directory("camp-old") == []  # a campaign from before directories existed
    # No campaign known yet (an inbound call before the card): every campaign's, once each.
    assert [e.number for e in store.directory(None)] == ["2100", "+19495550150"]
    # A delta replaces the campaign, directory and all.
    store.cache.apply_delta("campaigns", [campaign_with([])], [], cursor="c-2")
    assert store.directory("camp-a") == []


def test_campaign_settings_come_from_the_campaign_document(
    open_store: OpenStore, caplog: pytest.LogCaptureFixture
) -> None:
    store = open_store()
    assert store.campaign_settings("camp-a") is None
    store.cache.apply_snapshot(
        "campaigns",
        [
            {
                **campaign_item("camp-a"),
                "wrap_up_s": 0,
                "calling_window": {"start": "09:00", "end": "19:30"},
            },
            campaign_item("camp-old"),  # from a server before campaigns had a wrap-up time
            {**campaign_item("camp-bad"), "wrap_up_s": "soon"},
            {**campaign_item("camp-long"), "wrap_up_s": 86_400},
        ],
        cursor="c-1",
        first=True,
        last=True,
    )
    assert store.campaign_settings("camp-a") == CampaignSettings("camp-a", 0, "09:00", "19:30")
    assert store.campaign_settings("camp-old") == CampaignSettings("camp-old", 60, "08:00", "21:00")
    bad = store.campaign_settings("camp-bad")
    assert bad is not None and bad.wrap_up_s == 60
    assert "malformed wrap_up_s" in caplog.text
    long = store.campaign_settings("camp-long")
    assert long is not None and long.wrap_up_s == 3600
    # A new campaign version brings its new time.
    store.cache.apply_delta(
        "campaigns", [{**campaign_item("camp-a"), "wrap_up_s": 90}], [], cursor="c-2"
    )
    changed = store.campaign_settings("camp-a")
    assert changed is not None and changed.wrap_up_s == 90


def test_reasons_are_a_feed_of_their_own_in_the_desk_order(open_store: OpenStore) -> None:
    store = open_store()
    assert store.not_ready_reasons() == []
    store.cache.apply_snapshot(
        "not_ready_reasons",
        [reason("lunch", "Lunch", 1), reason("training", "Training", 2, productive=True)],
        cursor="r-1",
        first=True,
        last=False,
    )
    store.cache.apply_snapshot(
        "not_ready_reasons", [reason("break", "Break", 0)], cursor="r-2", first=False, last=True
    )
    assert store.not_ready_reasons() == [
        NotReadyReason("break", "Break", False),
        NotReadyReason("lunch", "Lunch", False),
        NotReadyReason("training", "Training", True),
    ]
    assert store.cache.feed_state("not_ready_reasons").cursor == "r-2"
    store.cache.apply_delta(
        "not_ready_reasons", [reason("break", "Short break", 3)], ["training"], cursor="r-3"
    )
    assert store.not_ready_reasons() == [
        NotReadyReason("lunch", "Lunch", False),
        NotReadyReason("break", "Short break", False),
    ]
    assert store.status()["cache"]["not_ready_reasons"] == 2


def test_the_phone_account_is_kept_until_the_cache_goes(open_store: OpenStore) -> None:
    store = open_store()
    assert store.phone_account() is None
    store.save_phone_account(ACCOUNT)
    assert store.phone_account() == ACCOUNT
    store.close()

    store = open_store()  # the next sign-in, maybe offline
    assert store.phone_account() == ACCOUNT
    store.cache.lock("too long without reaching the server")
    assert store.phone_account() == ACCOUNT  # not PHI: no offline lock
    store.cache.unlock()
    store.save_phone_account(None)
    assert store.phone_account() is None
    store.save_phone_account(ACCOUNT)
    store.rebuild_cache("corrupt")  # rebuildable: the next online sign-in brings it back
    assert store.phone_account() is None
    assert store.not_ready_reasons() == [] and store.directory("camp-a") == []


def test_an_unreadable_kept_account_is_ignored(open_store: OpenStore) -> None:
    store = open_store()
    with store.cache.writer.transaction() as conn:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('phone_account', ?)",
            ('{"username": "1001", "transport": "carrier-pigeon"}',),
        )
    assert store.phone_account() is None
