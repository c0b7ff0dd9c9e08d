"""The regions phone numbers are read in: the store's default and each cached campaign's."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable

from agent_app.store.connection import Db


class CampaignRegions:
    """Campaign id → default region, from the cached campaigns; shared by writer and reader.

    Each load swaps in new values whole, so readers on other threads never take a lock.
    """

    def __init__(self, default_region: str) -> None:
        self.default = default_region.upper()
        self._lock = threading.Lock()
        self._by_campaign: dict[str, str] = {}
        self._ordered: tuple[str, ...] = (self.default,)

    @property
    def ordered(self) -> tuple[str, ...]:
        """Every region, the default first: the readings a caller id is tried in."""
        return self._ordered

    def load(self, db: Db) -> None:
        rows = db.query("SELECT id, body FROM documents WHERE feed = 'campaigns'")
        regions: dict[str, str] = {}
        for campaign_id, body in rows:
            region = json.loads(body).get("default_region")
            if isinstance(region, str) and region:
                regions[campaign_id] = region.upper()
        ordered = [self.default]
        ordered += [r for r in dict.fromkeys(regions.values()) if r != self.default]
        with self._lock:
            self._by_campaign = regions
            self._ordered = tuple(ordered)

    def for_campaigns(self, campaign_ids: Iterable[str]) -> str:
        """The region of the first of these campaigns that names one, else the default."""
        for campaign_id in campaign_ids:
            region = self._by_campaign.get(campaign_id)
            if region:
                return region
        return self.default
