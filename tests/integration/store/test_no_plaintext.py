"""No patient data and no key in any store file, -wal or -shm, nor in the logs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from agent_app.secret_store import SecretStore
from agent_app.store.keys import StoreKeys
from tests.integration.store.conftest import WORKSTATION, OpenStore, seed

pytestmark = pytest.mark.integration


def _needles(items: list[dict[str, object]]) -> set[bytes]:
    found: set[bytes] = set()
    for item in items:
        for field in ("given_name", "family_name", "mrn", "birth_date", "id"):
            found.add(str(item[field]).encode())
        for phone in item["phones"]:  # type: ignore[attr-defined]
            number = phone["number"]
            found |= {number.encode(), number[2:].encode(), number.encode("utf-16-le")}
    return found


def _scan(directory: Path, needles: set[bytes]) -> dict[str, list[bytes]]:
    hits: dict[str, list[bytes]] = {}
    for path in directory.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found = [n for n in needles if n in data]
            if found:
                hits[path.name] = found[:5]
    return hits


def test_raw_bytes_of_db_wal_and_shm_hold_no_plaintext(
    open_store: OpenStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = open_store()
    items = seed(store, 300, household_every=4)
    target = items[10]
    store.caller_lookup(str(target["phones"][0]["number"]))  # type: ignore[index]
    store.verify_identity(
        str(target["id"]),
        family_name=str(target["family_name"]),
        birth_date=str(target["birth_date"]),
        reason="inbound",
    )
    store.journal.enqueue(
        "disposition",
        {
            "call_id": "c-1",
            "patient_id": target["id"],
            "notes": f"spoke with {target['given_name']}",
        },
    )
    store.cache.apply_delta("patients", items[:20], [], cursor="p-2")
    directory = store.layout.directory
    names = {p.name for p in directory.iterdir()}
    # While open, WAL and shared-memory files exist and must be covered by the scan too.
    assert {"cache.db-wal", "cache.db-shm", "journal.db-wal", "journal.db-shm"} <= names
    needles = _needles(items)
    assert _scan(directory, needles) == {}
    store.close()
    assert _scan(directory, needles) == {}
    log_text = "\n".join(r.getMessage() for r in caplog.records).encode()
    assert [n for n in needles if n in log_text and not n.startswith(b"pat-")] == []


def test_keys_never_reach_files_or_logs(
    open_store: OpenStore,
    secrets: SecretStore,
    agent_id: str,
    pulse_home: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    store = open_store()
    seed(store, 10)
    store.rekey("cache")
    store.close()
    keys = StoreKeys(secrets, agent_id, WORKSTATION)
    values = [keys.get("cache"), keys.get("journal")]
    assert all(values)
    needles = {v.encode() for v in values if v} | {bytes.fromhex(v) for v in values if v}
    assert _scan(pulse_home, needles) == {}
    log_text = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(v in log_text for v in values if v)
