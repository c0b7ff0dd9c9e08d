"""`pulse-agent cache status|verify|rekey|wipe` as IT runs them, against the real keyring."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent_app.app import device_id
from agent_app.secrets.store import SecretStore
from agent_app.store import cache_schema, journal_schema
from agent_app.store.agent_store import AgentStore
from agent_app.store.keys import StoreKeys
from tests.integration.store.conftest import seed

pytestmark = pytest.mark.integration


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent_app", "cache", *args],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def provisioned(secrets: SecretStore, agent_id: str) -> AgentStore:
    store = AgentStore.open(agent_id=agent_id, workstation_id=device_id(), secrets=secrets)
    items = seed(store, 40)
    store.journal.enqueue("disposition", {"call_id": "c-1"})
    store.record_view(items[0]["id"], reason="screen-pop")
    store.close()
    return store


def test_status_reports_counts_versions_sizes_and_last_sync(
    provisioned: AgentStore, agent_id: str
) -> None:
    run = _cli("status")
    assert run.returncode == 0, run.stderr
    status = json.loads(run.stdout)
    assert status["cache"]["patients"] == 40
    assert status["schema"] == {
        "cache": len(cache_schema.STEPS),
        "journal": len(journal_schema.STEPS),
    }
    assert status["outbox"]["pending"] == 2
    assert status["outbox"]["by_kind"] == {"audit": 1, "disposition": 1}
    assert status["sizes_bytes"]["cache"] > 0
    assert status["feeds"]["patients"]["last_sync_at"]
    assert status["directory"].endswith(agent_id)
    assert "Ashworth" not in run.stdout  # counts only, never a patient field


def test_verify_finds_damage_and_repairs_on_request(provisioned: AgentStore) -> None:
    run = _cli("verify")
    assert run.returncode == 0, run.stderr
    assert "cache: ok" in run.stdout
    with provisioned.layout.cache.open("r+b") as fh:
        fh.seek(4096 * 4 + 64)
        fh.write(os.urandom(64))
    run = _cli("verify")
    assert run.returncode == 1
    assert "CorruptStoreError" in run.stderr
    assert "--repair" in run.stderr
    run = _cli("verify", "--repair")
    assert run.returncode == 0, run.stderr
    assert "cache: corrupt; set aside" in run.stdout
    assert "journal: 2 entries not yet acknowledged" in run.stdout


def test_rekey_rotates_keys_and_data_stays_readable(
    provisioned: AgentStore, secrets: SecretStore, agent_id: str
) -> None:
    keys = StoreKeys(secrets, agent_id, device_id())
    before = (keys.get("cache"), keys.get("journal"))
    run = _cli("rekey")
    assert run.returncode == 0, run.stderr
    assert (keys.get("cache"), keys.get("journal")) != before
    assert keys.get("cache") != before[0] and keys.get("journal") != before[1]
    assert json.loads(_cli("status").stdout)["cache"]["patients"] == 40


def test_wipe_removes_the_cache_and_keeps_an_unsynced_journal(provisioned: AgentStore) -> None:
    run = _cli("wipe")
    assert run.returncode == 0, run.stderr
    assert not provisioned.layout.cache.exists()
    run = _cli("wipe", "--journal")
    assert run.returncode == 1
    assert "not acknowledged" in run.stderr
    assert provisioned.layout.journal.exists()
    run = _cli("wipe", "--journal", "--discard-unsynced")
    assert run.returncode == 0, run.stderr
    assert not provisioned.layout.journal.exists()


def test_refuses_while_pulse_holds_the_files(
    provisioned: AgentStore, secrets: SecretStore, agent_id: str
) -> None:
    store = AgentStore.open(agent_id=agent_id, workstation_id=device_id(), secrets=secrets)
    try:
        run = _cli("status")
        assert run.returncode == 4
        assert "another Pulse" in run.stderr
    finally:
        store.close()


def test_unknown_agent_and_no_agent(provisioned: AgentStore, pulse_home: Path) -> None:
    run = _cli("--agent", "agent-nobody", "status")
    assert run.returncode == 1
    assert "no store for agent agent-nobody" in run.stderr
    (pulse_home / "data" / "last-agent").unlink()
    run = _cli("status")
    assert run.returncode == 2
    assert "--agent" in run.stderr
