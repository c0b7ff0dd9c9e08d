"""Each failure mode has a named error and a recovery path; no journal entry is ever lost."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_app.secrets.store import SecretStore
from agent_app.store.agent_store import AgentStore
from agent_app.store.connection import open_encrypted, rekey
from agent_app.store.errors import (
    CacheLockedError,
    CorruptStoreError,
    DiskFullError,
    KeyMissingError,
    SchemaTooNewError,
    StoreInUseError,
    WrongKeyError,
)
from agent_app.store.keys import StoreKeys, new_key
from tests.integration.store.conftest import WORKSTATION, OpenStore, seed

pytestmark = pytest.mark.integration


def _keys(secrets: SecretStore, agent_id: str) -> StoreKeys:
    return StoreKeys(secrets, agent_id, WORKSTATION)


def _store_with_history(open_store: OpenStore) -> tuple[list[str], str]:
    store = open_store()
    items = seed(store, 200)
    ids = [store.journal.enqueue("disposition", {"call_id": f"c{n}", "n": n}) for n in range(5)]
    store.close()
    return ids, items[0]["id"]


def _assert_journal_kept(store: AgentStore, ids: list[str]) -> None:
    assert [i.id for i in store.journal.next_batch(100)] == ids


@pytest.mark.parametrize("damage", ["wrong-key", "key-missing"])
def test_unkeyable_cache_is_set_aside_and_rebuilt(
    open_store: OpenStore, secrets: SecretStore, agent_id: str, damage: str
) -> None:
    ids, patient = _store_with_history(open_store)
    keys = _keys(secrets, agent_id)
    if damage == "wrong-key":
        secrets.set(keys.name("cache"), new_key())
    else:
        keys.delete("cache")
    with pytest.raises(WrongKeyError if damage == "wrong-key" else KeyMissingError):
        open_store(repair_cache=False).close()

    store = open_store()
    assert store.report.cache_rebuilt == damage
    assert store.report.cache_set_aside is not None
    assert store.report.cache_set_aside.exists()
    assert store.cache.get(patient) is None
    assert store.cache.feed_state("patients").cursor is None  # feeds restart from a snapshot
    _assert_journal_kept(store, ids)


def test_journal_with_a_wrong_or_missing_key_is_never_deleted(
    open_store: OpenStore, secrets: SecretStore, agent_id: str
) -> None:
    ids, _ = _store_with_history(open_store)
    keys = _keys(secrets, agent_id)
    real_key = keys.get("journal")
    assert real_key is not None
    secrets.set(keys.name("journal"), new_key())
    with pytest.raises(WrongKeyError, match="journal"):
        open_store()
    keys.delete("journal")
    with pytest.raises(KeyMissingError, match="journal"):
        open_store()

    recovered = open_store(recover_journal=True)
    aside = recovered.report.journal_set_aside
    assert aside is not None and aside.exists()
    assert recovered.journal.counts().unsynced == 0
    recovered.close()
    # The set-aside file still holds every entry for IT, once the key is found again.
    from agent_app.store.journal import Journal

    old = Journal(aside, real_key, agent_id=agent_id)
    assert old.counts().pending == len(ids)
    old.close()


def _flip_bytes(path: Path, offset: int) -> None:
    with path.open("r+b") as fh:
        fh.seek(offset)
        chunk = fh.read(64)
        fh.seek(offset)
        fh.write(bytes(b ^ 0xFF for b in chunk))


@pytest.mark.allow_log_errors
def test_damaged_cache_is_found_on_open_and_rebuilt(open_store: OpenStore) -> None:
    ids, _ = _store_with_history(open_store)
    probe = open_store(verify="none")
    cache_path = probe.layout.cache
    probe.close()
    _flip_bytes(cache_path, 4096 * 5 + 200)
    with pytest.raises(CorruptStoreError):
        open_store(repair_cache=False).close()
    store = open_store()
    assert store.report.cache_rebuilt == "corrupt"
    assert store.cache.integrity_problems() == []
    _assert_journal_kept(store, ids)


def test_background_check_locks_a_damaged_cache_until_rebuilt(open_store: OpenStore) -> None:
    _, patient = _store_with_history(open_store)
    probe = open_store(verify="none")
    cache_path = probe.layout.cache
    probe.close()
    _flip_bytes(cache_path, 4096 * 7 + 100)
    store = open_store(verify="background")
    problems = store.wait_for_verification(timeout=120)
    assert problems
    assert store.cache_needs_rebuild == "corrupt"
    with pytest.raises(CacheLockedError):
        store.cache.get(patient)
    store.rebuild_cache("corrupt")
    assert store.cache_needs_rebuild is None
    assert store.cache.get(patient) is None
    assert store.cache.integrity_problems() == []


def test_sound_store_passes_the_background_check(open_store: OpenStore) -> None:
    _store_with_history(open_store)
    store = open_store(verify="background")
    assert store.wait_for_verification(timeout=120) == []
    assert store.cache_needs_rebuild is None


def test_schema_from_a_newer_pulse(
    open_store: OpenStore, secrets: SecretStore, agent_id: str
) -> None:
    ids, _ = _store_with_history(open_store)
    keys = _keys(secrets, agent_id)
    store = open_store(verify="none")
    layout = store.layout
    store.close()
    for which, path in (("cache", layout.cache), ("journal", layout.journal)):
        key = keys.get(which)
        assert key is not None
        conn = open_encrypted(path, key, label=which)
        conn.execute("PRAGMA user_version = 99")
        conn.close()
    with pytest.raises(SchemaTooNewError, match="journal"):
        open_store(recover_journal=False)
    key = keys.get("journal")
    assert key is not None
    conn = open_encrypted(layout.journal, key, label="journal")
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    store = open_store()
    assert store.report.cache_rebuilt == "schema-too-new"
    _assert_journal_kept(store, ids)


def test_second_instance_is_refused_in_process_and_across_processes(
    open_store: OpenStore, agent_id: str
) -> None:
    first = open_store()
    with pytest.raises(StoreInUseError, match="another Pulse"):
        open_store()
    script = textwrap.dedent(
        """
        import sys
        from agent_app.secrets.store import SecretStore
        from agent_app.store.agent_store import AgentStore
        from agent_app.store.errors import StoreInUseError
        try:
            AgentStore.open(agent_id=sys.argv[1], workstation_id=sys.argv[2], secrets=SecretStore())
        except StoreInUseError as exc:
            print("in use:", exc)
            sys.exit(4)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script, agent_id, WORKSTATION],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])},
    )
    assert run.returncode == 4, run.stderr
    first.close()
    open_store().close()  # the lock goes with its holder


def test_crash_during_key_rotation_is_finished_or_undone_on_open(
    open_store: OpenStore, secrets: SecretStore, agent_id: str
) -> None:
    ids, patient = _store_with_history(open_store)
    keys = _keys(secrets, agent_id)
    # 1. Stopped after parking the new key, before the rekey: the rotation is undone.
    keys.begin_rotation("cache")
    store = open_store()
    assert keys.pending("cache") is None
    assert store.report.rotations_completed == []
    path = store.layout.cache
    store.close()
    # 2. Stopped after the rekey, before promoting the key: the rotation is finished.
    old = keys.get("cache")
    assert old is not None
    new = keys.begin_rotation("cache")
    conn = open_encrypted(path, old, label="cache")
    rekey(conn, new, "cache")
    conn.close()
    store = open_store()
    assert store.report.rotations_completed == ["cache"]
    assert store.report.cache_rebuilt is None
    assert keys.get("cache") == new
    assert store.cache.get(patient) is not None
    _assert_journal_kept(store, ids)


def test_rekey_command_path_keeps_data(
    open_store: OpenStore, secrets: SecretStore, agent_id: str
) -> None:
    ids, patient = _store_with_history(open_store)
    keys = _keys(secrets, agent_id)
    before = {w: keys.get(w) for w in ("cache", "journal")}
    store = open_store()
    store.rekey("cache")
    store.rekey("journal")
    assert store.cache.get(patient) is not None
    store.close()
    after = {w: keys.get(w) for w in ("cache", "journal")}
    assert all(after[w] != before[w] for w in after)
    store = open_store(verify="full")
    assert store.report.cache_rebuilt is None
    _assert_journal_kept(store, ids)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 3 MiB tmpfs: writes on it fail with ENOSPC like a full disk."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace')}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_disk_full_is_named_loses_nothing_and_recovers(
    open_store: OpenStore, tiny_disk: Path
) -> None:
    store = open_store(data_dir=tiny_disk)
    filler = tiny_disk / "filler"
    stored: list[str] = []
    payload = {"call_id": "c", "notes": "x" * 20_000}
    with pytest.raises(DiskFullError, match="disk is full"):
        with filler.open("wb") as fh:
            fh.write(b"\0" * (2 * 1024 * 1024))
        for _ in range(200):
            stored.append(store.journal.enqueue("disposition", payload))
    assert store.journal.counts().pending == len(stored)
    with pytest.raises(DiskFullError):
        seed(store, 3000)
    filler.unlink()
    stored.append(store.journal.enqueue("disposition", {"call_id": "after"}))
    store.close()
    store = open_store(data_dir=tiny_disk, verify="full")
    assert store.report.cache_rebuilt is None
    assert [i.id for i in store.journal.next_batch(500)] == stored
    assert all(uuid.UUID(i) for i in stored)


def test_store_directory_is_private_to_the_user(open_store: OpenStore) -> None:
    store = open_store()
    seed(store, 3)
    assert store.layout.directory.stat().st_mode & 0o077 == 0
