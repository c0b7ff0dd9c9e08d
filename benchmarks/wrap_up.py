"""A disposition's submit: journal commit, then on the server over loopback.

Each round is one call on the desk's workflow (``AgentSession`` fed the engine's events
for ring, answer, confirm and hang-up, no engine process), then the after-call work's
``WrapUpWork.submit`` into the real encrypted journal (one transaction, ``synchronous =
FULL``, the draft dropped in it), with the sync service (real client, real server on
loopback, the service woken as the app wakes it) sending it on. Printed:

* ``commit_p50_ms`` / ``commit_p99_ms``: ``submit()`` returning (the record is durable);
* ``on_server_p50_ms`` / ``on_server_p99_ms``: submit started → the record's row is in the
  server's database (read from the database file, as the tests do);
* ``control_commit_*``: the control, measured in the same run between the submits: one
  row of the same size inserted and committed in a plain SQLite file (WAL, ``synchronous
  = FULL``) in the same directory, which is what the disk's fsync costs;
* ``lost`` / ``duplicated``: every record is on the server exactly once.

``python -m benchmarks.wrap_up`` (1,000 submits; ``--quick``: 100).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sqlite3
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from testbed.timing import Figures, percentile, wait_until

FIGURES = Figures("wrap_up", digits=2)
ACCOUNT = "agent-bench"
CALLER = "+12025550100"  # a number of the synthetic range, in no patient's card
CODE = "SYS_HANDLED"  # with no campaign for the call, a built-in code the server takes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.wrap_up")
    parser.add_argument("--quick", action="store_true", help="100 submits instead of 1,000")
    parser.add_argument("--count", type=int, help="submits (overrides --quick)")
    args = parser.parse_args(argv)
    count = args.count or (100 if args.quick else 1_000)

    with tempfile.TemporaryDirectory(prefix="pulse-bench-wrap-") as tmp:
        root = Path(tmp)
        os.environ["PULSE_HOME"] = str(root / "pulse-home")
        from testbed.secret_service import secret_service

        with secret_service(root / "keyring") as env:
            os.environ.update(env)
            return _run(root, count)


class _Control:
    """A plain SQLite file beside the journal: one insert and commit, FULL synchronous."""

    def __init__(self, directory: Path) -> None:
        self.conn = sqlite3.connect(directory / "control.db", isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.execute("CREATE TABLE items (id TEXT PRIMARY KEY, payload TEXT NOT NULL)")

    def commit_ms(self, item_id: str, payload: str) -> float:
        started = time.perf_counter()
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("INSERT INTO items VALUES (?, ?)", (item_id, payload))
        self.conn.execute("COMMIT")
        return (time.perf_counter() - started) * 1000

    def close(self) -> None:
        self.conn.close()


def _run(root: Path, count: int) -> int:
    from keyring.backends import SecretService

    from agent_app.telephony import protocol as p
    from agent_app.workflow.agent_session import AgentSession
    from agent_app.workflow.desk_settings import DeskSettings
    from testbed.sync_server import AGENT, AGENT_PASSWORD, RealServer
    from testbed.sync_setup import SyncRig

    server = RealServer(root / "server")
    server.start()
    rig = SyncRig(server.url, SecretService.Keyring(), enrolment_code=server.enrolment_code())
    control: _Control | None = None
    try:
        rig.sign_in(AGENT, AGENT_PASSWORD)
        service = rig.open_service(AGENT)
        service.sync_once()  # the cache is warm, as on a working desk
        service.start()
        store = service.store
        journal = store.journal
        # The app's wiring (agent_app.app): the journal records the after-call work, the
        # service takes the state changes, and a written disposition wakes the sync.
        session = AgentSession(
            send=lambda command: None,  # the engine's replies are fed in below
            outbox=service,
            audit=journal.audit,
            lookup=lambda number: [r.id for r in store.caller_lookup(number)],
            settings=DeskSettings(account_id=ACCOUNT),
            server_now=service.api.clock.now_iso,
            journal=journal,
            cache=lambda: store.cache,
            on_journaled=service.engine.nudge,
        )
        session.handle(p.RegistrationChanged(ACCOUNT, "registered", 200))
        control = _Control(store.layout.journal.parent)
        on_server = sqlite3.connect(f"file:{server.db}?mode=ro", uri=True, timeout=30)

        def stored(record_id: str) -> bool:
            query = "SELECT 1 FROM intake_items WHERE id = ?"
            return on_server.execute(query, (record_id,)).fetchone() is not None

        commits: list[float] = []
        arrivals: list[float] = []
        controls: list[float] = []
        ids: list[str] = []
        for i in range(count):
            session.go_ready()  # after a submit the agent is Ready again already
            call = f"bench-{i}"
            session.handle(p.IncomingCall(call, ACCOUNT, CALLER, "", f"sip:{CALLER}@pbx"))
            assert session.answer(call)
            session.handle(p.CallStateChanged(call, "confirmed", 200, "OK"))
            session.handle(p.CallEnded(call, 200, "Normal", "remote"))
            [item] = session.wrap_ups
            work = session.wrap_up_work(item.record_id)
            assert work is not None
            # As the agent does: a code, then notes (each saved as a draft as it is typed).
            assert work.set_code(CODE)
            work.set_notes("Confirmed the appointment; no change needed.")
            started = time.perf_counter()
            assert work.submit(), work.problems()
            committed = time.perf_counter()
            record_id = work.record_id
            wait_until(partial(stored, record_id), 30, 0.001, what="the record on the server")
            arrived = time.perf_counter()
            commits.append((committed - started) * 1000)
            arrivals.append((arrived - started) * 1000)
            ids.append(record_id)
            # Interleaved with the submits, so the machine's state falls on both alike.
            payload = json.dumps(work.payload(service.api.clock.now_iso()))
            controls.append(control.commit_ms(record_id, payload))
        on_server.close()
        service.stop()

        rows = collections.Counter(r[0] for r in server.intake_rows("disposition"))
        lost = sum(1 for i in ids if i not in rows)
        duplicated = sum(n - 1 for n in rows.values() if n > 1)
        FIGURES.emit("submits", count, "dispositions")
        FIGURES.emit("commit_p50_ms", percentile(commits, 0.50), "ms")
        FIGURES.emit("commit_p99_ms", percentile(commits, 0.99), "ms", "<= 20")
        FIGURES.emit("on_server_p50_ms", percentile(arrivals, 0.50), "ms")
        FIGURES.emit("on_server_p99_ms", percentile(arrivals, 0.99), "ms")
        FIGURES.emit("control_commit_p50_ms", percentile(controls, 0.50), "ms")
        FIGURES.emit("control_commit_p99_ms", percentile(controls, 0.99), "ms")
        FIGURES.emit("lost", lost, "dispositions", "== 0")
        FIGURES.emit("duplicated", duplicated, "dispositions", "== 0")
        return 0 if lost == 0 and duplicated == 0 else 1
    finally:
        if control is not None:
            control.close()
        rig.close()
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
