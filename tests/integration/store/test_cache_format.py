"""Cache schema 2 on real SQLCipher files: integer keys, the phone index, the page HMAC.

Files made by schema 1 (HMAC-SHA512 pages, text-keyed phone rows, a snapshot maybe
half staged) must open, convert and migrate without losing a row; the phone index must
follow every upsert, delete and purge exactly.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from agent_app.store.cache import PatientCache
from agent_app.store.cache_file import CACHE_HMAC
from agent_app.store.cache_lookup import ROW_CACHE_MIB, ROWS
from agent_app.store.cache_warming import warm_row_cache
from agent_app.store.connection import HMAC_SHA512, open_encrypted, page_hmac
from testbed.store_population import (
    campaign_item,
    fiction_number,
    patient_items,
    wide_number,
)
from tests.helpers import store_schemas as hist
from tests.integration.store.conftest import OpenStore, seed

pytestmark = pytest.mark.integration

KEY = "5a" * 32
_SEP = "\x1f"


def _v1_row(pid: str, n: int, phones: list[str], campaigns: list[str]) -> tuple[object, ...]:
    packed = _SEP.join(f"home{p}" if i == 0 else f"mobile{p}" for i, p in enumerate(phones))
    return (
        pid,
        f"MRN{n:08d}",
        "Corwyn",
        f"Ashley{n}",
        "corwyn",
        f"ashley{n}",
        "1961-04-05",
        "en",
        "America/Chicago",
        1,
        0,
        None,
        packed,
        _SEP.join(campaigns),
        3,
    )


def _legacy_file(path: Path) -> dict[str, list[str]]:
    """A schema-1 file as released: live rows, a household number, a staged snapshot."""
    live = {
        "pat-a": [fiction_number(1), fiction_number(2)],
        "pat-b": [fiction_number(1), fiction_number(3)],  # shares pat-a's home number
        "pat-c": [fiction_number(4)],
    }
    conn = open_encrypted(path, KEY, label="cache", hmac=HMAC_SHA512)
    conn.execute("BEGIN")
    for statement in hist.CACHE_V1:
        conn.execute(statement)
    for n, (pid, phones) in enumerate(live.items()):
        campaigns = ["camp-a", "camp-b"] if pid == "pat-c" else ["camp-a"]
        conn.execute(
            f"INSERT INTO patients VALUES ({', '.join('?' * 15)})",
            _v1_row(pid, n, phones, campaigns),
        )
        for number in phones:
            conn.execute("INSERT INTO patient_phones VALUES (?, ?)", (number, pid))
        for campaign in campaigns:
            conn.execute("INSERT INTO patient_campaigns VALUES (?, ?)", (pid, campaign))
    # One page of a new snapshot was staged when this Pulse stopped.
    conn.execute(
        f"INSERT INTO patients_next VALUES ({', '.join('?' * 15)})",
        _v1_row("pat-d", 9, [fiction_number(9)], ["camp-a"]),
    )
    conn.execute("INSERT INTO patient_phones_next VALUES (?, 'pat-d')", (fiction_number(9),))
    conn.execute("INSERT INTO patient_campaigns_next VALUES ('pat-d', 'camp-a')")
    conn.execute(
        "INSERT INTO feed_state (feed, cursor, snapshot_cursor, snapshot_pages) "
        "VALUES ('patients', NULL, 'snap-1', 1)"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.execute("COMMIT")
    conn.close()
    return live


def test_a_released_file_is_converted_and_migrated_without_loss(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    live = _legacy_file(path)
    cache = PatientCache(path, KEY)
    try:
        assert cache.schema_before == 1
        assert page_hmac(cache.writer.conn) == CACHE_HMAC == "HMAC_SHA256"
        assert not path.with_name("cache.db.convert").exists()
        assert {r.id for r in cache.by_phone(fiction_number(1))} == {"pat-a", "pat-b"}
        for pid, phones in live.items():
            for number in phones:
                assert pid in {r.id for r in cache.by_phone(number)}
        [record] = cache.by_phone(fiction_number(4))
        assert record.campaign_ids == ("camp-a", "camp-b")
        assert record.mrn == "MRN00000002"
        assert cache.counts()["phones"] == 5
        # The staged page survived: the snapshot resumes and its last page swaps it in.
        assert cache.feed_state("patients").snapshot_cursor == "snap-1"
        last = next(patient_items(1, start=20))
        cache.apply_snapshot("patients", [last], cursor="cur-2", first=False, last=True)
        assert cache.by_phone(fiction_number(1)) == []
        assert [r.id for r in cache.by_phone(fiction_number(9))] == ["pat-d"]
        assert [r.id for r in cache.by_phone(last["phones"][0]["number"])] == [last["id"]]
        assert cache.counts()["patients"] == 2
        assert cache.integrity_problems() == []
    finally:
        cache.close()
    # Opened again, the file is already in the new format: nothing is converted twice.
    conn = open_encrypted(path, KEY, label="cache", hmac=HMAC_SHA512)
    assert page_hmac(conn) == CACHE_HMAC
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    conn.close()


def test_a_conversion_cut_short_is_discarded_and_done_again(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    live = _legacy_file(path)
    # What a crash in the middle of the export leaves beside the untouched old file.
    leftover = path.with_name("cache.db.convert")
    leftover.write_bytes(b"\x00" * 8192)
    path.with_name("cache.db.convert-journal").write_bytes(b"\x01" * 512)
    cache = PatientCache(path, KEY)
    try:
        assert not leftover.exists()
        assert not path.with_name("cache.db.convert-journal").exists()
        assert {r.id for r in cache.by_phone(live["pat-a"][1])} == {"pat-a"}
        assert page_hmac(cache.writer.conn) == CACHE_HMAC
    finally:
        cache.close()


def test_phone_index_follows_upserts_deletes_and_purges(tmp_path: Path) -> None:
    cache = PatientCache(tmp_path / "cache.db", KEY)
    try:
        cache.apply_snapshot(
            "campaigns",
            [campaign_item("camp-a"), campaign_item("camp-b")],
            cursor="c-1",
            first=True,
            last=True,
        )
        items = list(patient_items(6, campaign_ids=("camp-a",)))
        items[5]["campaign_ids"] = ["camp-b"]
        items[4]["campaign_ids"] = ["camp-a", "camp-b"]
        cache.apply_snapshot("patients", items, cursor="p-1", first=True, last=True)
        assert cache.counts()["phones"] == 12
        first = items[0]
        old_mobile = first["phones"][1]["number"]
        new_mobile = fiction_number(77)
        changed = {
            **first,
            "phones": [first["phones"][0], {"number": new_mobile, "kind": "mobile"}],
        }
        # The same id twice in one page: the later item wins, the earlier leaves nothing.
        stale = {**first, "phones": [{"number": fiction_number(88), "kind": "work"}]}
        cache.apply_delta("patients", [stale, changed], [items[1]["id"]], cursor="p-2")
        assert cache.by_phone(old_mobile) == []
        assert cache.by_phone(fiction_number(88)) == []
        assert [r.id for r in cache.by_phone(new_mobile)] == [first["id"]]
        assert cache.by_phone(items[1]["phones"][0]["number"]) == []
        assert cache.counts() == {**cache.counts(), "patients": 5, "phones": 10}
        # camp-b leaves the agent's list: its only patient goes, the shared one stays.
        cache.apply_delta("campaigns", [], ["camp-b"], cursor="c-2")
        assert cache.by_phone(items[5]["phones"][1]["number"]) == []
        [kept] = cache.by_phone(items[4]["phones"][1]["number"])
        assert kept.campaign_ids == ("camp-a",)
        assert cache.counts()["patients"] == 4
        assert cache.counts()["phones"] == 8
        assert cache.warm_lookup_index() == 8
        assert cache.integrity_problems() == []
    finally:
        cache.close()


def test_the_lookup_index_is_preloaded_in_steps(tmp_path: Path) -> None:
    cache = PatientCache(tmp_path / "cache.db", KEY)
    try:
        cache.apply_snapshot(
            "campaigns", [campaign_item("camp-a")], cursor="c", first=True, last=True
        )
        pages = 12
        source = patient_items(pages * 1000, wide=True)
        for page in range(pages):
            chunk = [next(source) for _ in range(1000)]
            cache.apply_snapshot(
                "patients", chunk, cursor=f"p-{page}", first=page == 0, last=page == pages - 1
            )
        # 24,000 entries: one step of 20,000 under the reader lock, then the rest.
        assert cache.warm_lookup_index() == 24_000
        stopped = threading.Event()
        stopped.set()
        assert cache.warm_lookup_index(stopped) == 0
        assert [r.id for r in cache.by_phone(wide_number(23_999))] == ["pat-00011999"]
    finally:
        cache.close()


def test_the_store_preloads_after_open_and_stops_on_close(open_store: OpenStore) -> None:
    store = open_store()
    seed(store, 300)
    store.close()
    store = open_store()
    assert store.caller_lookup(fiction_number(0))
    store.close()  # joins the preload thread whether or not it has finished


def test_rows_are_read_through_their_own_page_cache(tmp_path: Path) -> None:
    cache = PatientCache(tmp_path / "cache.db", KEY)
    try:
        seed_items = list(patient_items(40, campaign_ids=("camp-a",)))
        cache.apply_snapshot(
            "campaigns", [campaign_item("camp-a")], cursor="c", first=True, last=True
        )
        cache.apply_snapshot("patients", seed_items, cursor="p", first=True, last=True)
        schemas = {row[1] for row in cache.reader.query("PRAGMA database_list")}
        assert ROWS in schemas
        main_pages = cache.reader.query("PRAGMA main.cache_size")[0][0]
        row_pages = cache.reader.query(f"PRAGMA {ROWS}.cache_size")[0][0]
        assert row_pages == -1024 * ROW_CACHE_MIB and main_pages < row_pages
        # Searches and reads by id go through the rows schema as well, and still work.
        target = seed_items[7]
        assert [r.id for r in cache.by_mrn(target["mrn"])] == [target["id"]]
        record = cache.get(target["id"])
        assert record is not None and record.family_name == target["family_name"]
        assert cache.counts()["patients"] == 40
        # The row cache is filled after a snapshot: as many rows as there are, here.
        assert warm_row_cache(cache.reader.conn) == 40
    finally:
        cache.close()
    # Reopened: lookups work at once through main; the preload attaches the rows schema.
    cache = PatientCache(tmp_path / "cache.db", KEY)
    try:
        number = target["phones"][1]["number"]
        assert ROWS not in {row[1] for row in cache.reader.query("PRAGMA database_list")}
        assert [r.id for r in cache.by_phone(number)] == [target["id"]]
        assert cache.warm_lookup_index() == 80
        assert ROWS in {row[1] for row in cache.reader.query("PRAGMA database_list")}
        assert [r.id for r in cache.by_phone(number)] == [target["id"]]
        assert [r.id for r in cache.by_name_dob(target["family_name"], target["birth_date"])]
    finally:
        cache.close()


def test_a_lookup_never_returns_a_row_that_lacks_the_number(tmp_path: Path) -> None:
    """The phone index and the row are read under two snapshots (two schemas): an index
    entry whose key now belongs to another patient must not pop that patient's card."""
    cache = PatientCache(tmp_path / "cache.db", KEY)
    try:
        items = list(patient_items(3, campaign_ids=("camp-a",)))
        cache.apply_snapshot(
            "campaigns", [campaign_item("camp-a")], cursor="c", first=True, last=True
        )
        cache.apply_snapshot("patients", items, cursor="p", first=True, last=True)
        stray = fiction_number(90)
        with cache.writer.transaction() as conn:
            pk = conn.execute("SELECT pk FROM patients WHERE id = ?", (items[1]["id"],))
            conn.execute(
                "INSERT INTO patient_phones VALUES (?, ?)", (int(stray[1:]), pk.fetchone()[0])
            )
        assert cache.by_phone(stray) == []
        # A number that is a prefix of a patient's own number is not that number either.
        own = items[1]["phones"][0]["number"]
        with cache.writer.transaction() as conn:
            pk = conn.execute("SELECT pk FROM patients WHERE id = ?", (items[1]["id"],))
            conn.execute(
                "INSERT INTO patient_phones VALUES (?, ?)", (int(own[1:-1]), pk.fetchone()[0])
            )
        assert cache.by_phone(own[:-1]) == []
        assert [r.id for r in cache.by_phone(own)] == [items[1]["id"]]
    finally:
        cache.close()
