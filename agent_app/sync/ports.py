"""What sync needs from the store, as protocols: the journal's outbox and the feed cache.

Sync depends on these shapes, not on SQLCipher; :mod:`agent_app.sync.store_adapter` fits the
real store to them. Each write here is one transaction in the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class QueuedItem(Protocol):
    """One outbox entry: its id is the idempotency key sent to the server."""

    @property
    def id(self) -> str: ...

    def intake_item(self) -> dict[str, Any]: ...


class Outbox(Protocol):
    def next_batch(self, limit: int) -> Sequence[QueuedItem]:
        """The oldest pending items (order kept within a call), marked in flight."""

    def release(self, ids: Sequence[str]) -> None:
        """Put in-flight items back to pending (the request failed; send them again)."""

    def mark_acknowledged(self, ids: Sequence[str]) -> None: ...

    def park(self, item_id: str, reason: str) -> None:
        """Stop sending an item the server rejected; keep it, with the reason, for the agent."""

    def pending_count(self) -> int: ...

    def parked_count(self) -> int: ...


class FeedCache(Protocol):
    def cursor(self, feed: str) -> str | None: ...

    def begin_snapshot(self, feed: str) -> None:
        """A full snapshot of ``feed`` starts: rows it does not resend will be dropped."""

    def apply_snapshot_page(self, feed: str, items: list[dict[str, Any]], cursor: str) -> None: ...

    def finish_snapshot(self, feed: str, cursor: str) -> None:
        """The snapshot is complete: drop rows of ``feed`` that it did not send."""

    def apply_delta(
        self, feed: str, upserts: list[dict[str, Any]], deletions: list[str], cursor: str
    ) -> None: ...

    def wipe(self) -> None:
        """Forget every cached row and cursor (a revoked device)."""
