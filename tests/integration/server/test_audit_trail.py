"""The audit trail: append-only in the database, hash-chained under concurrent writers,
``pulse-server audit verify`` naming the first broken row, and the events it must hold (reads of
audit data, patients sent to a workstation)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from server import cli
from server.audit import audit, verify_chain
from server.db import make_engine, session_factory
from tests.helpers.server_live import LiveServer
from tests.integration.server.conftest import PASSWORD, World


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    made = make_engine(database_url)
    yield made
    made.dispose()


def _write(engine: Engine, n: int, *, actor: str = "u1") -> None:
    factory = session_factory(engine)
    for i in range(n):
        with factory() as session, session.begin():
            audit(session, "test.event", actor=actor, target_type="thing", detail={"i": i})


def _drop_guards(engine: Engine) -> None:
    """What someone with raw database access would do before editing the trail."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER admin_audit_append_only ON admin_audit"))
        else:
            conn.execute(text("DROP TRIGGER admin_audit_no_update"))
            conn.execute(text("DROP TRIGGER admin_audit_no_delete"))


@pytest.mark.parametrize(
    "statement",
    ["UPDATE admin_audit SET action = 'x'", "DELETE FROM admin_audit"],
)
def test_audit_rows_cannot_be_changed_or_deleted(engine: Engine, statement: str) -> None:
    _write(engine, 1)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM admin_audit")).scalar() == 1


def test_truncate_is_refused_on_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    _write(engine, 1)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("TRUNCATE admin_audit"))


def test_the_chain_holds_under_parallel_writers(engine: Engine) -> None:
    threads = [
        threading.Thread(target=_write, args=(engine, 15), kwargs={"actor": f"u{t}"})
        for t in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with session_factory(engine)() as session:
        report = verify_chain(session)
    assert report.ok, report
    assert report.rows == 90


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("UPDATE admin_audit SET target_id = 'other' WHERE position = 3", "content"),
        ("DELETE FROM admin_audit WHERE position = 3", "missing"),
    ],
)
def test_verify_names_the_first_broken_row(
    engine: Engine,
    database_url: str,
    tamper: str,
    reason: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _write(engine, 5)
    assert cli.main(["audit", "verify", "--database-url", database_url]) == 0
    assert "intact: 5 rows" in capsys.readouterr().out

    _drop_guards(engine)
    with engine.begin() as conn:
        conn.execute(text(tamper))

    assert cli.main(["audit", "verify", "--database-url", database_url]) == 1
    err = capsys.readouterr().err
    assert "broken at position 3" in err
    assert reason in err


def test_a_removed_last_row_is_noticed(engine: Engine) -> None:
    _write(engine, 3)
    _drop_guards(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM admin_audit WHERE position = 3"))
    with session_factory(engine)() as session:
        report = verify_chain(session)
    assert (report.ok, report.broken_position) == (False, 3)


def test_reading_the_audit_trail_is_itself_audited(live: LiveServer, world: World) -> None:
    admin = live.as_user("admin1", PASSWORD)
    assert admin.get("/api/v1/admin/audit").status_code == 200
    rows = admin.get("/api/v1/admin/audit", params={"limit": 5}).json()
    reads = [r for r in rows if r["action"] == "audit.read"]
    assert reads and reads[0]["actor_id"] == world.admin
    assert all(len(r["row_hash"]) == 64 for r in rows)


def test_patients_sent_to_a_workstation_are_audited(live: LiveServer, world: World) -> None:
    login = live.login("agenta", PASSWORD, device_id="ws-audit-1")
    agent = live.client(login["access_token"])
    page = agent.get("/api/v1/sync/patients").json()
    sent = sorted(item["id"] for item in page["items"])
    assert sent == sorted(world.only_1 + world.both)

    rows = live.as_user("admin1", PASSWORD).get("/api/v1/admin/audit").json()
    phi = [r for r in rows if r["action"] == "phi.sent"]
    assert len(phi) == 1
    assert phi[0]["actor_id"] == world.agent_a
    assert phi[0]["device_id"] is not None
    assert sorted(phi[0]["detail"]["patient_ids"]) == sent

    # An empty delta sends no patient and leaves no row.
    agent.get("/api/v1/sync/patients", params={"cursor": page["cursor"]})
    rows = live.as_user("admin1", PASSWORD).get("/api/v1/admin/audit").json()
    assert len([r for r in rows if r["action"] == "phi.sent"]) == 1
