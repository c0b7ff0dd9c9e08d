"""Sync against the real central server: pull, push, refresh, 410, revoke, parking, outages."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest

from agent_app.sync.errors import DeviceRevoked
from agent_app.sync.login import LoginResult
from agent_app.sync.status import Connection
from testbed.sync_server import AGENT, RealServer
from testbed.sync_setup import WORKSTATION, SyncRig, disposition
from testbed.timing import wait_until

pytestmark = pytest.mark.integration


def test_first_round_snapshots_every_feed_then_deltas(rig: SyncRig, server: RealServer) -> None:
    assert rig.service is not None and rig.store is not None
    first = rig.service.sync_once()
    assert first.pull is not None
    assert sorted(first.pull.snapshots) == [
        "campaigns",
        "code_trees",
        "not_ready_reasons",
        "patients",
        "scripts",
    ]
    counts = rig.store.cache.counts()
    assert counts["patients"] > 0 and counts["campaigns"] == len(server.world["campaign_ids"])
    second = rig.service.sync_once()
    assert second.pull is not None and second.pull.snapshots == []
    assert rig.service.tracker.status.connection is Connection.ONLINE
    assert rig.service.tracker.status.last_success is not None


def test_a_rebuilt_cache_is_filled_again_from_a_snapshot(rig: SyncRig) -> None:
    assert rig.service is not None and rig.store is not None
    rig.service.sync_once()
    assert rig.api.clock.measured and abs(rig.api.clock.offset_s) < 60
    before = rig.store.cache.counts()
    rig.store.cache_needs_rebuild = "corrupt"  # as the store's background check reports it
    report = rig.service.sync_once()
    assert report.pull is not None and len(report.pull.snapshots) == 5
    assert rig.store.report.cache_rebuilt == "corrupt"
    assert rig.store.cache.counts() == before


def test_unknown_cursor_restarts_with_a_full_snapshot(rig: SyncRig) -> None:
    assert rig.service is not None and rig.store is not None
    rig.service.sync_once()
    before = rig.store.cache.counts()["patients"]
    # A cursor the server never issued (as after a server-side key change): 410 Gone.
    rig.store.cache.apply_delta("patients", [], [], cursor="bm90LWEtY3Vyc29y")
    report = rig.service.sync_once()
    assert report.pull is not None and report.pull.snapshots == ["patients"]
    assert rig.store.cache.counts()["patients"] == before
    assert rig.store.cache.feed_state("patients").cursor not in (None, "bm90LWEtY3Vyc29y")


def test_dispositions_reach_the_server_exactly_once_in_order(
    rig: SyncRig, server: RealServer
) -> None:
    assert rig.service is not None
    ids = rig.queue_dispositions(1200)
    report = rig.service.sync_once(pull=False)
    assert report.push.acknowledged == 1200 and report.push.batches == 3
    stored = server.intake_rows("disposition")
    assert sorted(r[0] for r in stored) == sorted(ids)
    assert rig.service.store.journal.counts().unsynced == 0
    # A batch sent twice (its answer lost on the way back) is stored once.
    item = {
        "id": "8d0f3c2e-6f3b-4d7e-9b1a-00000000beef",
        "kind": "disposition",
        "created_at": "2026-01-05T14:03:00.000Z",
        "payload": disposition("call-twice"),
    }
    token = rig.service.session.access_token()
    assert [r.status for r in rig.api.push([item], token=token)] == [201]
    assert [r.status for r in rig.api.push([item], token=token)] == [200]
    assert len(server.intake_rows("disposition")) == 1201


def test_rejected_item_is_parked_with_its_reason_and_the_rest_delivered(
    rig: SyncRig, server: RealServer
) -> None:
    assert rig.service is not None
    good = rig.queue_dispositions(3)
    bad_payload = disposition("call-bad")
    del bad_payload["code"]
    bad = rig.service.enqueue("disposition", bad_payload, call_id="call-bad")
    more = rig.queue_dispositions(2, prefix="after")
    report = rig.service.sync_once(pull=False)
    assert report.push.parked_ids == [bad]
    parked = rig.service.store.journal.parked()
    assert [p.id for p in parked] == [bad] and parked[0].reason
    assert {r[0] for r in server.intake_rows("disposition")} == set(good + more)
    status = rig.service.tracker.status
    assert status.parked == 1 and status.queued == 0
    assert "refused" in status.sync_text()[1]
    assert status.parked_reasons and status.parked_reasons[0] in status.sync_text()[1]
    # Parked items are not retried by later rounds.
    assert rig.service.sync_once(pull=False).push.batches == 0


def test_expired_access_token_is_refreshed_and_rotated(rig: SyncRig) -> None:
    assert rig.service is not None
    stored = rig.vault.load(AGENT)
    assert stored is not None
    # The keyring holds an access token the server does not accept (401), still within its
    # lifetime; the session reads it on its first call.
    rig.vault.save(LoginResult(AGENT, "", "agent", "not-a-valid-token", stored.refresh_token, 600))
    rig.queue_dispositions(2)
    assert rig.service.sync_once(pull=False).push.acknowledged == 2
    rotated = rig.vault.load(AGENT)
    assert rotated is not None and rotated.refresh_token != stored.refresh_token


def test_server_stopped_mid_push_and_restarted_loses_and_duplicates_nothing(
    rig: SyncRig, server: RealServer
) -> None:
    assert rig.service is not None
    rig.service.sync_once()
    ids = rig.queue_dispositions(3000, prefix="outage")
    journal = rig.service.store.journal
    rig.service.start()
    wait_until(
        lambda: journal.counts().pending + journal.counts().in_flight < 3000,
        60,
        what="a first batch to leave",
    )
    server.stop(kill=True)  # mid-push: some batches sent, maybe one answer lost
    wait_until(
        lambda: rig.service.tracker.status.connection is Connection.OFFLINE,
        60,
        what="offline status",
    )
    assert rig.service.tracker.status.offline_since is not None
    left = journal.counts().unsynced
    assert left > 0
    server.start()
    rig.service.engine.nudge()
    wait_until(lambda: journal.counts().unsynced == 0, 120, what="the outbox to drain")
    rig.service.stop()
    stored = [r[0] for r in server.intake_rows("disposition")]
    assert len(stored) == len(set(stored)) == 3000
    assert set(stored) == set(ids)
    assert rig.service.tracker.status.connection is Connection.ONLINE


def test_revoked_device_wipes_the_cache_after_trying_the_journal(
    rig: SyncRig, server: RealServer
) -> None:
    assert rig.service is not None and rig.store is not None
    rig.service.sync_once()
    assert rig.store.cache.counts()["patients"] > 0
    devices = server.admin("GET", "/devices").json()
    device = next(d for d in devices if d["client_device_id"] == WORKSTATION)
    assert server.admin("POST", f"/devices/{device['id']}/revoke?wipe=true").status_code == 200
    rig.queue_dispositions(1, prefix="late")
    with pytest.raises(DeviceRevoked):
        rig.service.sync_once()
    assert rig.service.tracker.status.connection is Connection.REVOKED
    assert rig.vault.load(AGENT) is None
    assert rig.verifier.expires_at(AGENT) is None
    assert not rig.store.layout.cache.exists()
    # The undelivered disposition is kept, encrypted, for IT.
    assert rig.store.journal.counts().unsynced == 1


def test_a_revoke_with_wipe_and_nothing_queued_says_revoked(
    rig: SyncRig, server: RealServer
) -> None:
    assert rig.service is not None and rig.store is not None
    rig.service.sync_once()
    assert rig.store.journal.counts().unsynced == 0
    devices = server.admin("GET", "/devices").json()
    device = next(d for d in devices if d["client_device_id"] == WORKSTATION)
    assert server.admin("POST", f"/devices/{device['id']}/revoke?wipe=true").status_code == 200
    with pytest.raises(DeviceRevoked):
        rig.service.sync_once()
    assert rig.service.tracker.status.connection is Connection.REVOKED
    assert not rig.store.layout.cache.exists()


def test_worker_thread_never_blocks_the_caller(rig: SyncRig, server: RealServer) -> None:
    """enqueue returns at once even while a round waits on a dead server."""
    assert rig.service is not None
    server.stop(kill=True)
    rig.service.start()
    durations = []
    for i in range(20):
        started = time.monotonic()
        rig.service.enqueue("disposition", disposition(f"ui-{i}"), call_id=f"ui-{i}")
        durations.append(time.monotonic() - started)
    assert threading.current_thread() is threading.main_thread()
    wait_until(
        lambda: rig.service.tracker.status.connection is Connection.OFFLINE,
        60,
        what="offline status",
    )
    assert rig.service.store.journal.counts().unsynced == 20
    assert rig.service.tracker.status.queued == 20
    print("enqueue max s", max(durations))


def test_audit_events_carry_the_server_corrected_time(rig: SyncRig) -> None:
    assert rig.service is not None and rig.store is not None
    # This workstation's clock is two hours behind the server's.
    now = time.time()
    rig.api.clock.observe(datetime.fromtimestamp(now + 7200, UTC), now, now)
    rig.store.record_view("pat-audit-time", reason="screen-pop")
    [item] = [i for i in rig.store.journal.next_batch(50) if i.kind == "audit"]
    stamped = datetime.fromisoformat(item.created_at.replace("Z", "+00:00")).timestamp()
    assert abs(stamped - (time.time() + 7200)) < 60
