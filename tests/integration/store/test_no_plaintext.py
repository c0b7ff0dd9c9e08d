"""No patient data and no key in any store file, -wal or -shm, nor in the logs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from agent_app.secrets.store import SecretStore
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


def test_names_a_lookup_returned_are_redacted_from_logs_from_then_on(
    secret_backend: object, tmp_path: Path
) -> None:
    """A name has no shape a pattern finds: once the store hands a record out, the
    redactor knows the name, so a careless log line or exception cannot leak it."""
    from agent_app.foundation.logs import setup_logging
    from agent_app.store.agent_store import AgentStore

    store = AgentStore.open(
        agent_id="agent-redact",
        workstation_id="ws-1",
        secrets=SecretStore(secret_backend),  # type: ignore[arg-type]
        data_dir=tmp_path / "data",
    )
    try:
        patient = {
            "id": "p-redact-1", "mrn": "R-0001", "given_name": "Ondrelle",
            "family_name": "Vasquith", "birth_date": "1970-01-02",
            "phones": [{"number": "+15555550188", "kind": "mobile"}], "language": "en",
            "time_zone": "America/Chicago", "consent_calls": True, "do_not_call": False,
            "care_program": None, "campaign_ids": ["c-1"], "version": 1,
        }  # fmt: skip
        store.cache.apply_snapshot("patients", [patient], cursor="c1", first=True, last=True)
        log_path = setup_logging(tmp_path / "logs", level="INFO")
        [record] = store.caller_lookup("+15555550188")
        logging.getLogger("pulse.test").info(
            "card for %s %s", record.given_name, record.family_name
        )
        for handler in logging.getLogger().handlers:
            handler.flush()
        text = log_path.read_text(encoding="utf-8")
        assert "card for [redacted] [redacted]" in text
        assert "Ondrelle" not in text and "Vasquith" not in text
    finally:
        store.close()
