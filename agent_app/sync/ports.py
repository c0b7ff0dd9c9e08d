"""What sync needs from the store, as protocols: the journal's outbox and the feed cache.

Sync depends on these shapes, not on SQLCipher: :class:`agent_app.store.journal.Journal` and
:class:`agent_app.store.cache.PatientCache` provide them. Each write is one store transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol


class QueuedItem(Protocol):
    """One outbox entry: its id is the idempotency key sent to the server."""

    @property
    def id(self) -> str: ...

    def intake_item(self) -> dict[str, Any]: ...


class OutboxTotals(Protocol):
    @property
    def pending(self) -> int: ...

    @property
    def in_flight(self) -> int: ...

    @property
    def parked(self) -> int: ...


class Outbox(Protocol):
    def next_batch(self, limit: int) -> Sequence[QueuedItem]:
        """The oldest pending items (order kept within a call), marked in flight."""

    def release(self, ids: Sequence[str]) -> object:
        """Put in-flight items back to pending (the request failed; send them again)."""

    def mark_acknowledged(self, ids: Sequence[str]) -> object: ...

    def park(self, item_id: str, reason: str) -> object:
        """Stop sending an item the server rejected; keep it, with the reason, for the agent."""

    def counts(self) -> OutboxTotals: ...


class FeedPosition(Protocol):
    @property
    def cursor(self) -> str | None:
        """The delta cursor of the live data; None: a snapshot is needed."""

    @property
    def snapshot_cursor(self) -> str | None:
        """Where an unfinished snapshot resumes."""


class FeedCache(Protocol):
    def feed_state(self, feed: str) -> FeedPosition: ...

    def apply_snapshot(
        self,
        feed: str,
        items: Sequence[Mapping[str, Any]],
        *,
        cursor: str,
        first: bool,
        last: bool,
    ) -> object:
        """One snapshot page in one transaction; ``last`` drops rows it did not resend."""

    def apply_delta(
        self,
        feed: str,
        upserts: Sequence[Mapping[str, Any]],
        deletions: Sequence[str],
        *,
        cursor: str,
    ) -> object:
        """One page of changes and its cursor, in one transaction."""

    def reset_feed(self, feed: str) -> None:
        """Forget the feed's cursors (410): the next pull is a full snapshot."""
