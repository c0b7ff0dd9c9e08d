"""Pulling the server's delta feeds into the cache, page by page, resumable by cursor.

Each page is applied in one store transaction together with its cursor, so an interrupted
pull resumes at the last applied page. No cursor means a full snapshot; a 410 (cursor too
old or unknown) starts one over; a snapshot's last page drops the rows it did not resend.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from agent_app.sync.api import FEEDS
from agent_app.sync.errors import CursorGone
from agent_app.sync.ports import FeedCache
from agent_app.sync.session import AuthSession

log = logging.getLogger(__name__)


@dataclass
class PullReport:
    pages: int = 0
    upserts: int = 0
    deletions: int = 0
    snapshots: list[str] = field(default_factory=list)


class FeedPuller:
    def __init__(self, cache: FeedCache, session: AuthSession, *, page_size: int = 1000) -> None:
        self.cache = cache
        self.session = session
        self.page_size = page_size

    def pull_all(
        self, feeds: Iterable[str] = FEEDS, *, should_stop: Callable[[], bool] = lambda: False
    ) -> PullReport:
        report = PullReport()
        for feed in feeds:
            if should_stop():
                break
            self.pull_feed(feed, report, should_stop=should_stop)
        return report

    def pull_feed(
        self, feed: str, report: PullReport, *, should_stop: Callable[[], bool] = lambda: False
    ) -> None:
        state = self.cache.feed_state(feed)
        cursor = state.cursor or state.snapshot_cursor
        restarted = False
        while not should_stop():
            requested = cursor
            try:
                page = self.session.call(
                    lambda token, at=requested: self.session.api.pull(  # type: ignore[misc]
                        feed, at, token=token, limit=self.page_size
                    )
                )
            except CursorGone:
                if restarted or cursor is None:
                    raise
                log.info("feed %s: cursor gone; starting a full snapshot", feed)
                self.cache.reset_feed(feed)
                cursor, restarted = None, True
                continue
            report.pages += 1
            if page.snapshot:
                if requested is None:
                    report.snapshots.append(feed)
                self.cache.apply_snapshot(
                    feed,
                    page.items,
                    cursor=page.cursor,
                    first=requested is None,
                    last=not page.has_more,
                )
            else:
                self.cache.apply_delta(feed, page.items, page.deleted, cursor=page.cursor)
                report.deletions += len(page.deleted)
            report.upserts += len(page.items)
            cursor = page.cursor
            if not page.has_more:
                break
