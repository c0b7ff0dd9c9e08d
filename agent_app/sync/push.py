"""Draining the outbox to ``POST /api/v1/intake``: batches, idempotency keys, parking.

Every item carries its client-made id; the server stores an id once and answers a retried
batch with 200, so a batch that was sent but whose answer was lost is simply sent again.
Items leave the outbox only when the server said 201 or 200; a 409 or 422 parks the item
with the server's reason (shown to the agent, never retried, never dropped). A whole request
refused with a 4xx is split in halves until the item at fault is found and parked alone.
Batches go one at a time, oldest first, so items of one call reach the server in order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from agent_app.sync.api import MAX_INTAKE_BATCH, ServerApi
from agent_app.sync.errors import RequestRejected, ServerUnreachable
from agent_app.sync.ports import Outbox, QueuedItem
from agent_app.sync.session import AuthSession

log = logging.getLogger(__name__)


@dataclass
class PushReport:
    acknowledged: int = 0
    parked: int = 0
    batches: int = 0
    parked_ids: list[str] = field(default_factory=list)


class OutboxPusher:
    def __init__(
        self,
        outbox: Outbox,
        session: AuthSession,
        *,
        batch_size: int = MAX_INTAKE_BATCH,
    ) -> None:
        self.outbox = outbox
        self.session = session
        self.api: ServerApi = session.api
        self.batch_size = max(1, min(batch_size, MAX_INTAKE_BATCH))

    def drain(self, *, should_stop: Callable[[], bool] = lambda: False) -> PushReport:
        """Send until the outbox has nothing pending; raises on a network failure."""
        report = PushReport()
        while not should_stop():
            batch = list(self.outbox.next_batch(self.batch_size))
            if not batch:
                break
            try:
                self._send(batch, report)
            except BaseException:
                # Whatever was not settled goes back to pending for the next attempt.
                self.outbox.release([item.id for item in batch])
                raise
        return report

    def _send(self, batch: Sequence[QueuedItem], report: PushReport) -> None:
        payload = [item.intake_item() for item in batch]
        report.batches += 1
        try:
            results = self.session.call(lambda token: self.api.push(payload, token=token))
        except RequestRejected as exc:
            if len(batch) == 1:
                self._park(batch[0].id, f"HTTP {exc.status}: {exc.reason}", report)
                return
            log.warning(
                "intake refused a batch of %d (HTTP %d); splitting it", len(batch), exc.status
            )
            middle = len(batch) // 2
            self._send(batch[:middle], report)
            self._send(batch[middle:], report)
            return
        by_id = {result.id: result for result in results}
        done: list[str] = []
        missing: list[str] = []
        for item in batch:
            result = by_id.get(item.id)
            if result is None:
                missing.append(item.id)
            elif result.status in (200, 201):
                done.append(item.id)
            else:
                # Settle what the server stored before parking, so a park never waits.
                self._park(item.id, f"{result.status}: {result.reason or 'rejected'}", report)
        if done:
            self.outbox.mark_acknowledged(done)
            report.acknowledged += len(done)
        if missing:
            self.outbox.release(missing)
            raise ServerUnreachable(f"intake answered without {len(missing)} of the items")

    def _park(self, item_id: str, reason: str, report: PushReport) -> None:
        log.warning("outbox item %s parked: %s", item_id, reason)
        self.outbox.park(item_id, reason[:500])
        report.parked += 1
        report.parked_ids.append(item_id)
