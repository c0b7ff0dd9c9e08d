"""Fixtures of the sync integration tests: the real server, the real keyring, a real store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testbed.sync_server import AGENT, AGENT_PASSWORD, RealServer
from testbed.sync_setup import SyncRig


@pytest.fixture(scope="session")
def seeded_world(tmp_path_factory: pytest.TempPathFactory) -> RealServer:
    """One seeded demo world per run; each test's server works on a copy of it."""
    return RealServer(tmp_path_factory.mktemp("seeded-server"))


@pytest.fixture
def server(tmp_path: Path, seeded_world: RealServer) -> Iterator[RealServer]:
    real = RealServer(tmp_path / "server", template=seeded_world)
    real.start()
    try:
        yield real
    finally:
        real.stop()


@pytest.fixture(autouse=True)
def clean_keyring(request: pytest.FixtureRequest) -> None:
    """The keyring daemon lives for the whole run: start each test without Pulse secrets."""
    if "secret_backend" not in request.fixturenames:
        return
    request.getfixturevalue("secret_service_env")
    import secretstorage

    connection = secretstorage.dbus_init()
    try:
        collection = secretstorage.get_default_collection(connection)
        for item in collection.search_items({"service": "Pulse"}):
            item.delete()
    finally:
        connection.close()


@pytest.fixture
def rig(server: RealServer, secret_backend: object) -> Iterator[SyncRig]:
    """The demo agent signed in online against ``server``, with an open store and a service."""
    made = SyncRig(server.url, secret_backend, enrolment_code=server.enrolment_code())
    made.sign_in(AGENT, AGENT_PASSWORD)
    made.open_service(AGENT)
    try:
        yield made
    finally:
        made.close()
