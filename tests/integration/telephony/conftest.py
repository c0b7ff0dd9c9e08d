"""Fixtures: the engine process driven through EngineClient, and pulse-phone peers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent_app.telephony import protocol as p
from agent_app.telephony.client import EngineClient
from testbed.ports import free_port
from tests.helpers.telephony_peers import EventLog, Phone, phones, write_tone

pytestmark = pytest.mark.integration


@dataclass
class EngineUnderTest:
    client: EngineClient
    events: EventLog
    port: int

    def send(self, command: p.Command) -> None:
        self.client.send(command)


@pytest.fixture
def start_engine() -> Iterator[Callable[..., EngineUnderTest]]:
    started: list[EngineClient] = []

    def start(config: p.EngineConfig | None = None, **account: object) -> EngineUnderTest:
        events = EventLog()
        client = EngineClient(events.put)
        port = free_port()
        cfg = config or p.EngineConfig(bind_address="127.0.0.1", local_port=port)
        client.start(cfg)
        started.append(client)
        ready = events.wait_type(p.EngineReady)
        spec = {
            "account_id": "agent",
            "username": "agent",
            "domain": "127.0.0.1",
            "register": False,
            **account,
        }
        client.send(p.AddAccount(account=p.AccountSpec(**spec)))  # type: ignore[arg-type]
        first = int(ready.ports[0].split(":")[1])
        return EngineUnderTest(client, events, first)

    yield start
    for client in started:
        client.stop()


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[Callable[..., Phone]]:
    with phones(tmp_path) as make:
        yield make


@pytest.fixture
def tones(tmp_path: Path) -> dict[int, Path]:
    return {f: write_tone(tmp_path / f"tone{f}.wav", f) for f in (700, 1000, 1500, 2200)}
