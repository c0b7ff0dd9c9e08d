"""Fixtures of the store tests: the real keyring, an agent's store, seeded patients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agent_app.foundation import paths
from agent_app.secrets.store import SecretStore
from agent_app.store.agent_store import AgentStore
from testbed.store_population import campaign_item, patient_items

WORKSTATION = "ws-0001"
OpenStore = Callable[..., AgentStore]


@pytest.fixture
def secrets(secret_backend: object) -> SecretStore:
    return SecretStore(secret_backend)  # type: ignore[arg-type]


@pytest.fixture
def agent_id(request: pytest.FixtureRequest) -> str:
    # One keyring serves the whole session: each test gets its own key names.
    return f"agent-{abs(hash(request.node.nodeid)) % 10**10}"


@pytest.fixture
def data_dir(pulse_home: Path) -> Path:
    return paths.data_dir()


@pytest.fixture
def open_store(secrets: SecretStore, agent_id: str) -> Iterator[OpenStore]:
    opened: list[AgentStore] = []

    def _open(**kwargs: Any) -> AgentStore:
        options: dict[str, Any] = {
            "agent_id": agent_id,
            "workstation_id": WORKSTATION,
            "secrets": secrets,
        }
        options.update(kwargs)
        store = AgentStore.open(**options)
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.close()


def seed(store: AgentStore, count: int = 50, **kwargs: Any) -> list[dict[str, Any]]:
    """Campaign list then a one-page patient snapshot; returns the patient items."""
    store.cache.apply_snapshot(
        "campaigns", [campaign_item("camp-a")], cursor="c-1", first=True, last=True
    )
    items = list(patient_items(count, **kwargs))
    store.cache.apply_snapshot("patients", items, cursor="p-1", first=True, last=True)
    return items
