"""Pure logic of sync: full-jitter backoff, server-time skew, status texts and persistence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent_app.sync.backoff import Backoff
from agent_app.sync.clock import ServerClock, format_iso, parse_iso
from agent_app.sync.status import Connection, StatusTracker, SyncStatus


def test_full_jitter_ceiling_doubles_up_to_the_cap() -> None:
    backoff = Backoff(base_s=1.0, cap_s=8.0, rand=lambda: 1.0)
    assert [backoff.next_delay() for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    backoff.reset()
    assert backoff.next_delay() == 1.0


def test_full_jitter_spreads_over_zero_to_ceiling() -> None:
    draws = iter([0.0, 0.5, 0.25])
    backoff = Backoff(base_s=2.0, cap_s=60.0, rand=lambda: next(draws))
    assert [backoff.next_delay() for _ in range(3)] == [0.0, 2.0, 2.0]


def test_retry_after_is_a_floor() -> None:
    backoff = Backoff(base_s=1.0, cap_s=60.0, rand=lambda: 0.0)
    assert backoff.next_delay(floor_s=7.0) == 7.0


def test_backoff_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="backoff"):
        Backoff(base_s=0, cap_s=1)


def test_clock_offset_uses_the_round_trip_midpoint() -> None:
    clock = ServerClock()
    sent, received = 1_000.0, 1_002.0
    server_time = datetime.fromtimestamp(1_001.0 + 90.0, tz=UTC)
    assert clock.observe(server_time, sent, received) == pytest.approx(90.0)
    local = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
    assert clock.to_server(local) == local + timedelta(seconds=90)
    stamp = parse_iso(clock.now_iso())
    assert abs((stamp - datetime.now(UTC)).total_seconds() - 90.0) < 5


def test_iso_round_trip_speaks_z() -> None:
    moment = datetime(2026, 1, 5, 14, 0, 1, 250000, tzinfo=UTC)
    assert format_iso(moment) == "2026-01-05T14:00:01.250Z"
    assert parse_iso("2026-01-05T14:00:01.250Z") == moment


def test_tracker_reports_offline_since_and_back(tmp_path: Path) -> None:
    seen: list[SyncStatus] = []
    tracker = StatusTracker(tmp_path / "state.json")
    tracker.subscribe(seen.append)
    tracker.lost_server("timed out")
    since = tracker.status.offline_since
    assert tracker.status.connection is Connection.OFFLINE and since is not None
    tracker.lost_server("timed out again")
    assert tracker.status.offline_since == since  # an outage starts once
    word, detail = tracker.status.connection_text()
    assert word == "offline" and "Offline since" in detail
    tracker.counts(12, 0)
    assert tracker.status.sync_text()[0] == "12 queued"
    tracker.reached_server()
    tracker.synced()
    assert tracker.status.connection is Connection.ONLINE and tracker.status.offline_since is None
    assert [s.connection for s in seen].count(Connection.OFFLINE) >= 1
    # The last sync survives a restart (pulse-agent sync --status reads it).
    again = StatusTracker(tmp_path / "state.json").status
    assert again.last_success == tracker.status.last_success


def test_os_disconnected_means_offline() -> None:
    tracker = StatusTracker()
    tracker.os_reachability(False)
    assert tracker.status.connection is Connection.OFFLINE
    assert tracker.status.os_online is False


def test_parked_items_are_shown() -> None:
    status = SyncStatus(parked=2, last_success=0.0)
    word, detail = status.sync_text()
    assert word == "2 refused" and "need a look" in detail


@pytest.mark.allow_log_errors
def test_a_broken_listener_does_not_stop_the_others() -> None:
    tracker = StatusTracker()
    seen: list[SyncStatus] = []

    def broken(status: SyncStatus) -> None:
        if status.syncing:
            raise RuntimeError("listener bug")

    tracker.subscribe(broken)
    tracker.subscribe(seen.append)
    tracker.syncing(True)
    assert seen[-1].syncing
