"""Files from every released schema version open, migrate, and keep their rows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agent_app.secrets.store import SecretStore
from agent_app.store import cache_schema, journal_schema
from agent_app.store.connection import Db, open_encrypted
from agent_app.store.errors import (
    CacheLockedError,
    MigrationError,
    SchemaTooNewError,
    StoreError,
)
from agent_app.store.keys import StoreKeys
from agent_app.store.layout import StoreLayout
from agent_app.store.migrations import Migration, migrate, schema_version, sql_step
from tests.helpers import store_schemas as hist
from tests.integration.store.conftest import WORKSTATION, OpenStore

pytestmark = pytest.mark.integration


def _schema(db: Db) -> set[str]:
    rows = db.query(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
    )
    return {
        re.sub(r"\s+", " ", re.sub(r"\(\s+|\s+\)", lambda m: m.group().strip(), r[0])) for r in rows
    }


def test_there_is_a_builder_for_every_released_version() -> None:
    assert set(hist.CACHE_BUILDERS) == set(range(len(cache_schema.STEPS) + 1))
    assert set(hist.JOURNAL_BUILDERS) == set(range(len(journal_schema.STEPS) + 1))


@pytest.mark.parametrize("journal_version", sorted(hist.JOURNAL_BUILDERS))
@pytest.mark.parametrize("cache_version", sorted(hist.CACHE_BUILDERS))
def test_every_historical_version_migrates_without_loss(
    open_store: OpenStore,
    secrets: SecretStore,
    agent_id: str,
    data_dir: Path,
    cache_version: int,
    journal_version: int,
) -> None:
    layout = StoreLayout.for_agent(agent_id, data_dir)
    layout.ensure()
    keys = StoreKeys(secrets, agent_id, WORKSTATION)
    for which, path, builder in (
        ("cache", layout.cache, hist.CACHE_BUILDERS[cache_version]),
        ("journal", layout.journal, hist.JOURNAL_BUILDERS[journal_version]),
    ):
        conn = open_encrypted(path, keys.create(which), label=which)
        builder(conn)
        conn.close()

    store = open_store(verify="full")
    assert store.report.cache_rebuilt is None
    assert store.report.provisioned == []
    assert store.cache.schema_version() == len(cache_schema.STEPS)
    assert store.journal.schema_version() == len(journal_schema.STEPS)
    if journal_version >= 1:
        # The historical journal last reached the server long ago: the cache is locked.
        with pytest.raises(CacheLockedError):
            store.caller_lookup(hist.PATIENT_PHONE)
        store.record_server_contact()
    if cache_version >= 1:
        [record] = store.caller_lookup(hist.PATIENT_PHONE)
        assert (record.id, record.mrn, record.version) == (hist.PATIENT_ID, hist.PATIENT_MRN, 4)
        assert store.cache.feed_state("patients").cursor == "cur-7"
    if journal_version >= 1:
        assert [i.id for i in store.journal.next_batch(10)] == [hist.JOURNAL_ITEM_ID]
        assert [p.id for p in store.journal.parked()] == [hist.PARKED_ITEM_ID]
    if journal_version >= 3:
        assert store.journal.drafts() == {
            hist.DRAFT_RECORD_ID: {"disposition": {"code": "CALLBACK"}}
        }
    # A migrated file has exactly the schema of a new one.
    fresh_dir = data_dir / "fresh"
    fresh_dir.mkdir()
    for which, db, steps in (
        ("cache", store.cache.writer, cache_schema.STEPS),
        ("journal", store.journal.db, journal_schema.STEPS),
    ):
        fresh = Db(open_encrypted(fresh_dir / f"{which}.db", "00" * 32, label=which), which)
        migrate(fresh, steps)
        assert _schema(db) == _schema(fresh)
        fresh.close()


def test_frozen_schemas_are_what_their_steps_create(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    for name, steps, frozen in (
        ("cache", cache_schema.STEPS[:1], hist.CACHE_V1),
        ("cache", cache_schema.STEPS[:2], hist.CACHE_V2),
        ("journal", journal_schema.STEPS[:1], hist.JOURNAL_V1),
        ("journal", journal_schema.STEPS[:2], hist.JOURNAL_V2),
        ("journal", journal_schema.STEPS[:3], hist.JOURNAL_V3),
    ):
        version = len(steps)
        made = Db(open_encrypted(data_dir / f"{name}{version}-a.db", "11" * 32, label=name), name)
        migrate(made, steps)
        built = Db(open_encrypted(data_dir / f"{name}{version}-b.db", "22" * 32, label=name), name)
        built.conn.execute("BEGIN")
        for statement in frozen:
            built.conn.execute(statement)
        built.conn.execute("COMMIT")
        assert _schema(made) == _schema(built)
        made.close()
        built.close()


def _v1_cache(path: Path) -> Db:
    db = Db(open_encrypted(path, "33" * 32, label="cache"), "cache")
    hist.build_cache_v1(db.conn)
    return db


def test_a_later_step_applies_on_top_and_keeps_rows(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    db = _v1_cache(data_dir / "c.db")
    v2 = sql_step(2, "example: a column", ["ALTER TABLE patients ADD COLUMN note TEXT"])
    assert migrate(db, [*cache_schema.STEPS[:1], v2]) == (1, 2)
    assert schema_version(db) == 2
    assert db.query("SELECT id, note FROM patients") == [(hist.PATIENT_ID, None)]
    db.close()


def test_a_failing_step_leaves_the_file_at_its_last_good_version(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    db = _v1_cache(data_dir / "c.db")

    def broken(conn: object) -> None:
        db.conn.execute("ALTER TABLE patients ADD COLUMN half_done TEXT")
        raise RuntimeError("boom")

    with pytest.raises(MigrationError, match="version 2"):
        migrate(db, [*cache_schema.STEPS[:1], Migration(2, "broken", broken)])
    assert schema_version(db) == 1
    columns = [r[1] for r in db.query("PRAGMA table_info(patients)")]
    assert "half_done" not in columns
    with pytest.raises(SchemaTooNewError):
        migrate(db, [])
    db.close()


def test_steps_must_be_numbered_in_order(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    db = _v1_cache(data_dir / "c.db")
    with pytest.raises(ValueError, match="numbered"):
        migrate(db, [sql_step(2, "out of order", [])])
    db.close()


def test_journal_step_2_rebuilds_the_outbox_without_losing_or_unguarding_a_row(
    data_dir: Path,
) -> None:
    data_dir.mkdir(parents=True)
    db = Db(open_encrypted(data_dir / "j.db", "44" * 32, label="journal"), "journal")
    migrate(db, journal_schema.STEPS[:1])
    with db.transaction() as conn:
        for seq, state in ((1, "acknowledged"), (2, "pending"), (3, "in_flight"), (4, "parked")):
            conn.execute(
                "INSERT INTO outbox_items VALUES (?, ?, 'audit', 'agent-m', 'call-m', "
                "'2026-01-01T00:00:00.000000Z', '{}')",
                (seq, f"item-{seq}"),
            )
            conn.execute(
                "INSERT INTO outbox_delivery (seq, state, attempts, parked_reason) "
                "VALUES (?, ?, ?, ?)",
                (seq, state, seq, "422: test" if state == "parked" else None),
            )
        conn.execute("DELETE FROM outbox_items WHERE seq = 1")  # acknowledged, then removed
    before = db.query("SELECT * FROM outbox_items ORDER BY seq")
    delivery = db.query("SELECT * FROM outbox_delivery ORDER BY seq")
    assert [r[0] for r in before] == [2, 3, 4]

    assert migrate(db, journal_schema.STEPS[:2]) == (1, 2)
    assert db.query("SELECT * FROM outbox_items ORDER BY seq") == before
    assert db.query("SELECT * FROM outbox_delivery ORDER BY seq") == delivery
    names = {r[0] for r in db.query("SELECT name FROM sqlite_master")}
    assert not {"outbox_items_v1", "outbox_delivery_v1"} & names
    assert db.query("PRAGMA foreign_key_check") == []
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO outbox_items (id, kind, agent_id, created_at, payload) "
            "VALUES ('item-5', 'agent_state', 'agent-m', '2026-01-01T00:00:01.000000Z', '{}')"
        )
    # The AUTOINCREMENT mark carried over: the next entry follows the highest ever given.
    assert db.query("SELECT seq FROM outbox_items WHERE id = 'item-5'") == [(5,)]
    with pytest.raises(StoreError), db.transaction() as conn:
        conn.execute("INSERT INTO outbox_items VALUES (9, 'x', 'email', 'a', NULL, 't', '{}')")
    for statement, message in (
        ("UPDATE outbox_items SET payload = '[]' WHERE seq = 2", "append-only"),
        ("DELETE FROM outbox_items WHERE seq = 2", "not yet acknowledged"),
        ("DELETE FROM outbox_delivery WHERE seq = 3", "not yet acknowledged"),
    ):
        with pytest.raises(Exception, match=message):
            db.conn.execute(statement)
    db.close()
