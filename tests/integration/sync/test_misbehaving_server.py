"""A server that answers 500, garbage, the wrong shape, too slowly, or not at all.

Nothing queued is dropped, parked or duplicated by any of it; the client says "offline";
when the server behaves again the outbox drains exactly once. A lost answer (the server
stored the batch, the reply never came) is resent and stored once.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent_app.sync.errors import ServerUnreachable
from agent_app.sync.status import Connection
from testbed.sync_server import AGENT, AGENT_PASSWORD, RealServer
from testbed.sync_setup import SyncRig
from tests.helpers.flaky_proxy import FlakyProxy

pytestmark = pytest.mark.integration


@pytest.fixture
def proxy(server: RealServer) -> Iterator[FlakyProxy]:
    made = FlakyProxy(server.url, delay_s=6.0)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def flaky_rig(server: RealServer, proxy: FlakyProxy, secret_backend: object) -> Iterator[SyncRig]:
    made = SyncRig(proxy.url, secret_backend, timeout_s=3.0, enrolment_code=server.enrolment_code())
    made.sign_in(AGENT, AGENT_PASSWORD)
    made.open_service(AGENT)
    try:
        yield made
    finally:
        made.close()


def test_bad_answers_keep_everything_queued_then_drain_once(
    proxy: FlakyProxy, flaky_rig: SyncRig, server: RealServer
) -> None:
    service = flaky_rig.service
    assert service is not None
    ids: list[str] = []
    for mode in ("500", "garbage", "wrong-shape", "slow", "reset"):
        ids += flaky_rig.queue_dispositions(30, prefix=f"m{mode}")
        proxy.mode = mode
        with pytest.raises(ServerUnreachable):
            service.sync_once()
        counts = service.store.journal.counts()
        assert (counts.pending, counts.in_flight, counts.parked) == (30, 0, 0), mode
        status = service.tracker.status
        assert status.connection is Connection.OFFLINE and status.offline_since is not None
        assert status.connection_text()[0] == "offline"
        assert status.queued == 30
        proxy.mode = "pass"
        service.sync_once()
        assert service.store.journal.counts().unsynced == 0, mode
        assert service.tracker.status.connection is Connection.ONLINE
        stored = [r[0] for r in server.intake_rows("disposition")]
        assert sorted(stored) == sorted(ids), mode


def test_lost_answer_is_resent_and_stored_once(
    proxy: FlakyProxy, flaky_rig: SyncRig, server: RealServer
) -> None:
    service = flaky_rig.service
    assert service is not None
    service.sync_once()
    ids = flaky_rig.queue_dispositions(700)
    proxy.mode = "lose-answer"
    with pytest.raises(ServerUnreachable):
        service.sync_once(pull=False)
    assert len(server.intake_rows("disposition")) == 500  # stored, but the client never heard
    assert service.store.journal.counts().unsynced == 700
    proxy.mode = "pass"
    report = service.sync_once(pull=False)
    assert report.push.acknowledged == 700 and report.push.parked == 0
    stored = [r[0] for r in server.intake_rows("disposition")]
    assert len(stored) == len(set(stored)) == 700 and set(stored) == set(ids)


def test_sign_in_falls_back_to_offline_when_the_server_misbehaves(
    proxy: FlakyProxy, flaky_rig: SyncRig
) -> None:
    for mode in ("500", "garbage", "reset"):
        proxy.mode = mode
        result = flaky_rig.sign_in(AGENT, AGENT_PASSWORD)
        assert result.offline and result.agent_id == AGENT, mode
        assert result.access_token == ""
