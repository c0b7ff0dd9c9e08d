"""Fixtures of the sync integration tests: the real server, the real keyring, a real store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.sync_server import AGENT, AGENT_PASSWORD, RealServer
from tests.helpers.sync_setup import SyncRig


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RealServer]:
    real = RealServer(tmp_path / "server")
    real.start()
    try:
        yield real
    finally:
        real.stop()


@pytest.fixture
def rig(server: RealServer, secret_backend: object) -> Iterator[SyncRig]:
    """The demo agent signed in online against ``server``, with an open store and a service."""
    made = SyncRig(server.url, secret_backend)
    made.sign_in(AGENT, AGENT_PASSWORD)
    made.open_service(AGENT)
    try:
        yield made
    finally:
        made.close()
