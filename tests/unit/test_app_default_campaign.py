"""Start-up's default campaign for the desk: the agent's first inbound campaign in the cache."""

from __future__ import annotations

from typing import Any

from agent_app import app
from agent_app.store.errors import CacheLockedError


class Cache:
    def __init__(self, campaigns: list[dict[str, Any]], locked: bool = False) -> None:
        self.campaigns, self.locked = campaigns, locked

    def documents(self, feed: str) -> list[dict[str, Any]]:
        assert feed == "campaigns"
        if self.locked:
            raise CacheLockedError("cache: locked")
        return self.campaigns


class Store:
    def __init__(self, cache: Cache) -> None:
        self.cache = cache


def test_the_first_inbound_campaign_is_the_default() -> None:
    campaigns = [
        {"id": "camp-out", "kind": "preview"},
        {"id": "camp-in-1", "kind": "inbound"},
        {"id": "camp-in-2", "kind": "inbound"},
    ]
    assert app.first_inbound_campaign(Store(Cache(campaigns))) == "camp-in-1"  # type: ignore[arg-type]


def test_no_inbound_campaign_no_store_or_a_locked_cache_give_none() -> None:
    only_outbound = Store(Cache([{"id": "camp-out", "kind": "progressive"}]))
    assert app.first_inbound_campaign(only_outbound) is None  # type: ignore[arg-type]
    assert app.first_inbound_campaign(None) is None
    locked = Store(Cache([{"id": "camp-in", "kind": "inbound"}], locked=True))
    assert app.first_inbound_campaign(locked) is None  # type: ignore[arg-type]
