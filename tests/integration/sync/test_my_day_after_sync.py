"""My day reads the same figures before and after the real server acknowledged the day's work,
and a refused disposition corrected in the journal reaches the server once, naming the old one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent_app.workflow.my_day import my_day
from agent_app.workflow.refused_items import RefusedItems
from server.seed import CAMPAIGNS, did
from testbed.sync_server import RealServer
from testbed.sync_setup import SyncRig, disposition

pytestmark = pytest.mark.integration
DEMO_CAMPAIGN = did("campaign", CAMPAIGNS[0][0])  # its code tree has REACHED


def _state(new: str, previous: str, spent: float, call: str | None) -> dict[str, object]:
    return {
        "state": new,
        "reason": None,
        "previous": previous,
        "previous_reason": None,
        "previous_s": spent,
        "at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "call_id": call,
    }


def test_my_day_is_the_same_after_the_queue_drained(rig: SyncRig, server: RealServer) -> None:
    service = rig.service
    assert service is not None
    service.enqueue("agent_state", _state("on_call", "ringing", 4, "rec-1"), call_id="rec-1")
    service.enqueue("agent_state", _state("wrap_up", "on_call", 200, "rec-1"), call_id="rec-1")
    service.enqueue(
        "disposition",
        disposition("rec-1", code="REACHED", campaign_id=DEMO_CAMPAIGN),
        call_id="rec-1",
    )
    service.enqueue("agent_state", _state("ready", "wrap_up", 40, None))
    journal = service.store.journal
    before = my_day(journal)
    assert (before.calls_handled, before.talk_s, before.wrap_up_s) == (1, 200, 40)
    assert before.dispositions == (("REACHED", 1),) and before.waiting == 4

    service.sync_once(pull=False)
    assert journal.counts().unsynced == 0
    after = my_day(journal)
    assert after.waiting == 0
    assert (after.calls_handled, after.talk_s, after.wrap_up_s, after.dispositions) == (
        before.calls_handled,
        before.talk_s,
        before.wrap_up_s,
        before.dispositions,
    )


def test_a_refused_disposition_is_corrected_and_reaches_the_server_once(
    rig: SyncRig, server: RealServer
) -> None:
    service = rig.service
    assert service is not None
    wrong = {
        **disposition("rec-2", code="REACHED", campaign_id=DEMO_CAMPAIGN),
        "agent_ended_at": "not a time",
    }
    refused_id = service.enqueue("disposition", wrong, call_id="rec-2")
    service.sync_once(pull=False)
    refused = RefusedItems(service.store.journal, nudge=service.engine.nudge)
    [item] = refused.items()
    assert item.id == refused_id and item.reason.startswith("422")

    fixed = {**item.payload, "agent_ended_at": "2026-01-05T14:03:00.000Z"}
    copy = service.store.journal.resend_parked(item.id, fixed)
    assert copy is not None
    assert service.store.journal.resend_parked(item.id, fixed) == copy  # a double click
    assert refused.items() == []
    service.sync_once(pull=False)
    service.sync_once(pull=False)

    rows = server.intake_rows("disposition")
    mine = [payload for _id, _kind, payload in rows if payload.get("call_id") == "rec-2"]
    assert len(mine) == 1 and mine[0]["replaces"] == refused_id
    assert my_day(service.store.journal).dispositions == (("REACHED", 1),)
