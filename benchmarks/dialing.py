"""Next-patient leases on the central server: agents working outbound campaigns on PostgreSQL.

The world: ``--patients`` patients (1,000,000 at full size) on the dial queues of 20 preview
campaigns, ``--agents`` agents (2,000) spread over them, each assigned one. Rows are loaded with
COPY: the lists and the dial queue beside them, the agents' grants and grant periods, one code
tree (intake accepts the dispositions only for a patient of the agent's campaign, with a code
of its tree, so that every call's disposition reaches the queue). Patients live in time
zones where it is now well inside the calling window (US zones when it is daytime there, else
zones of other countries with their own holidays), so the run measures leasing, whatever the hour.

Each agent works as a desk does: lease the next patient (``POST .../next``), hold it for a call
(2-6 s in ``--quick``, 20-60 s at full size), dispose it through intake (70 % reached, 30 % no
answer: a retry hours later), lease again. Start times are spread over the first call length,
a ramp-up whose requests are not counted. Each cycle also reads the agent's own leases
(``GET /api/v1/agent/leases``: authentication and one indexed read on the same server and
connections) as the control: what any request costs on the machine at that moment. The
server runs as ``pulse-server serve`` (2 workers) in its own process; this process is the load
generator.

Figures: ``lease_p50_ms`` / ``lease_p99_ms`` (target p99 <= 50 ms), ``control_p50_ms`` /
``control_p99_ms``, ``intake_p99_ms``, ``leases``, ``empty_leases``, ``dispositions_refused``
(items intake did not store: must be 0) and ``leased_twice`` (patients
handed out twice while the run lasted: must be 0), checked again in the database
(``attempts_twice``). ``python -m benchmarks.dialing`` (full size, about 5 minutes with the
load) or ``--quick`` (200 agents, 20,000 patients, 30 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from benchmarks.server_load import LoadClient, start_server, tree_cpu_s
from pulse_contract import calling_rules as rules
from server.db import make_engine, session_factory, upgrade
from server.identity import _sign_in_device
from server.models import LIST_DUE, User
from server.settings import ServerSettings
from testbed.ports import free_port
from testbed.server_postgres import create_database, postgres_cluster
from testbed.timing import Figures, percentile

SECRET = "benchmark-signing-key"
FIGURES = Figures("dialing")
CAMPAIGNS = 20
# (zone, country of its holidays); US first.
ZONES = (
    ("America/New_York", "US"),
    ("America/Chicago", "US"),
    ("America/Denver", "US"),
    ("America/Los_Angeles", "US"),
    ("Pacific/Honolulu", "US"),
    ("Europe/London", "GB"),
    ("Europe/Berlin", "DE"),
    ("Asia/Kolkata", "IN"),
    ("Asia/Tokyo", "JP"),
    ("Australia/Sydney", "AU"),
    ("America/Sao_Paulo", "BR"),
)


def zones_open_now(hours: float) -> list[tuple[str, str]]:
    """Zones where the window is open now and for ``hours`` more, on a day that is no holiday."""
    now = datetime.now(UTC)
    found = []
    for zone, country in ZONES:
        ok = all(
            rules.evaluate(rules.CallContext(time_zone=zone, country=country), now + d).allowed
            for d in (timedelta(0), timedelta(hours=hours))
        )
        if ok:
            found.append((zone, country))
    if not found:
        raise RuntimeError("no zone of the list is inside its calling window now")
    return found


def load_world(url: str, patients: int, agents: int) -> list[tuple[str, str]]:
    """The campaigns, patients, queues and agents; returns [(token, campaign id)] per agent."""
    upgrade(url)
    zones = zones_open_now(hours=1)
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    campaign_ids = [f"bench-campaign-{i:02d}" for i in range(CAMPAIGNS)]
    with psycopg.connect(conninfo, autocommit=False) as conn:
        seq = 1
        with conn.cursor() as cur:
            cur.execute(
                "INSERT INTO code_trees (id, name, version, codes, seq, updated_at)"
                " VALUES ('bench-codes', 'Bench', 1, %s, %s, now())",
                (json.dumps({"codes": [{"code": "CONFIRMED", "label": "Confirmed"}]}), seq),
            )
            for i, cid in enumerate(campaign_ids):
                zone, country = zones[i % len(zones)]
                cur.execute(
                    "INSERT INTO campaigns (id, name, kind, window_start, window_end, caller_id,"
                    " max_attempts, code_tree_id, default_region, wrap_up_s, healthcare_exempt,"
                    " active, version, seq) VALUES (%s, %s, 'preview', '08:00', '21:00',"
                    " '+12025550100', 6, 'bench-codes', %s, 0, %s, true, 1, %s)",
                    (cid, f"Bench {i}", country, i % 2 == 0, seq),
                )
                cur.execute(
                    "INSERT INTO patient_lists (id, campaign_id, name, active)"
                    " VALUES (%s, %s, 'default', true)",
                    (f"{cid}-list", cid),
                )
            with cur.copy(
                "COPY patients (id, mrn, given_name, family_name, birth_date, phones, language,"
                " time_zone, consent_calls, do_not_call, deleted, version, seq) FROM STDIN"
            ) as copy:
                for n in range(patients):
                    zone = zones[(n % CAMPAIGNS) % len(zones)][0]
                    copy.write_row(
                        (
                            f"bench-patient-{n:07d}",
                            f"BENCH{n:07d}",
                            "Benchgiven",
                            "Benchfamily",
                            "1970-01-01",
                            json.dumps({"items": [{"number": f"+1202{n:07d}", "kind": "home"}]}),
                            "en",
                            zone,
                            True,
                            n % 97 == 0,  # some on do-not-call: never leased
                            False,
                            1,
                            seq,
                        )
                    )
            # The list entries: intake accepts a disposition only for a patient on a list of
            # one of the agent's campaigns.
            with cur.copy(
                "COPY list_entries (list_id, patient_id, campaign_id, active, seq) FROM STDIN"
            ) as copy:
                for n in range(patients):
                    cid = campaign_ids[n % CAMPAIGNS]
                    copy.write_row((f"{cid}-list", f"bench-patient-{n:07d}", cid, True, seq))
            with cur.copy(
                "COPY dial_queue (campaign_id, patient_id, position, state, rank, due_at, attempts,"
                " updated_at) FROM STDIN"
            ) as copy:
                now = datetime.now(UTC)
                for n in range(patients):
                    copy.write_row(
                        (
                            campaign_ids[n % CAMPAIGNS],
                            f"bench-patient-{n:07d}",
                            n // CAMPAIGNS + 1,
                            "open",
                            2,
                            LIST_DUE,
                            0,
                            now,
                        )
                    )
            with cur.copy(
                "COPY users (id, username, display_name, role, password_hash, active,"
                " must_change_password, created_at) FROM STDIN"
            ) as copy:
                for a in range(agents):
                    copy.write_row(
                        (
                            f"bench-agent-{a:04d}",
                            f"bagent{a:04d}",
                            "Agent",
                            "agent",
                            "x",
                            True,
                            False,
                            datetime.now(UTC),
                        )
                    )
            with cur.copy(
                "COPY agent_grants (user_id, feed, object_id, active, seq) FROM STDIN"
            ) as copy:
                for a in range(agents):
                    copy.write_row(
                        (f"bench-agent-{a:04d}", "campaigns", campaign_ids[a % CAMPAIGNS], True, 1)
                    )
            with cur.copy(
                "COPY campaign_grant_periods (user_id, campaign_id, granted_at) FROM STDIN"
            ) as copy:
                since = datetime.now(UTC) - timedelta(days=1)
                for a in range(agents):
                    copy.write_row((f"bench-agent-{a:04d}", campaign_ids[a % CAMPAIGNS], since))
            cur.execute("ANALYZE")
        conn.commit()
    settings = ServerSettings(database_url=url, secret_key=SECRET, access_token_ttl_s=86400)
    engine = make_engine(url)
    sessions = session_factory(engine)
    out = []
    with sessions() as s, s.begin():
        for a in range(agents):
            user = s.get(User, f"bench-agent-{a:04d}")
            assert user is not None
            tokens = _sign_in_device(
                s, settings, user=user, client_device_id=f"bench-{a}", name="bench"
            )
            out.append((tokens.access_token, campaign_ids[a % CAMPAIGNS]))
    engine.dispose()
    return out


def disposition(patient_id: str, campaign_id: str, code: str) -> bytes:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    item = {
        "id": str(uuid.uuid4()),
        "kind": "disposition",
        "created_at": now,
        "payload": {
            "call_id": str(uuid.uuid4()),
            "patient_id": patient_id,
            "campaign_id": campaign_id,
            "code": code,
            "agent_started_at": now,
            "agent_ended_at": now,
        },
    }
    return json.dumps({"items": [item]}).encode()


class Run:
    def __init__(self) -> None:
        self.lease_ms: list[float] = []
        self.control_ms: list[float] = []
        self.intake_ms: list[float] = []
        self.leased: Counter[str] = Counter()
        self.empty = 0
        self.errors = 0
        self.refused = 0
        self.cpu_s = (0.0, 0.0, 0.0)
        """(server, database, generator) CPU seconds while requests were counted."""


def postmaster_pid(url: str) -> int:
    """The database cluster's main process (its CPU is the run's database cost)."""
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SHOW data_directory").fetchone()
    assert row is not None
    return int((Path(row[0]) / "postmaster.pid").read_text().split()[0])


async def work(
    base: str,
    agents: list[tuple[str, str]],
    duration: float,
    call_s: tuple[float, float],
    server_pid: int,
    database_pid: int,
) -> Run:
    run = Run()
    host, port = base.removeprefix("http://").rsplit(":", 1)
    client = LoadClient(host, int(port), max_connections=512)
    rng = random.Random(7)
    begin = time.perf_counter()
    # The first call length is the ramp-up (every agent's first lease, statements prepared,
    # pools filled): its requests are served but not counted.
    counted_from = begin + call_s[1]
    stop = counted_from + duration

    async def agent(token: str, campaign_id: str, start: float) -> None:
        await asyncio.sleep(start)
        while time.perf_counter() < stop:
            try:
                status, body, ms = await client.send(
                    "POST", f"/api/v1/agent/campaigns/{campaign_id}/next", token, b""
                )
                counted = time.perf_counter() >= counted_from
                if counted:
                    run.lease_ms.append(ms)
                if status != 200:
                    run.errors += 1
                    await asyncio.sleep(1)
                    continue
                leases = json.loads(body)["leases"]
                status, _, ms = await client.send("GET", "/api/v1/agent/leases", token)
                if counted:
                    run.control_ms.append(ms)
                if not leases:
                    run.empty += 1
                    await asyncio.sleep(call_s[0])
                    continue
                patient_id = leases[0]["patient_id"]
                run.leased[patient_id] += 1
                await asyncio.sleep(rng.uniform(*call_s))
                code = "CONFIRMED" if rng.random() < 0.7 else rules.NO_ANSWER
                batch = disposition(patient_id, campaign_id, code)
                status, body, ms = await client.send("POST", "/api/v1/intake", token, batch)
                if time.perf_counter() >= counted_from:
                    run.intake_ms.append(ms)
                if status != 200:
                    run.errors += 1
                elif json.loads(body)["results"][0]["status"] != 201:
                    run.refused += 1  # the lease stays held until it expires
            except OSError:
                run.errors += 1
                await asyncio.sleep(1)

    async def meter() -> None:
        # CPU seconds of the server, the database and this generator over the counted window.
        def sample() -> tuple[float, float, float]:
            return tree_cpu_s(server_pid), tree_cpu_s(database_pid), time.process_time()

        await asyncio.sleep(max(0.0, counted_from - time.perf_counter()))
        before = sample()
        await asyncio.sleep(max(0.0, stop - time.perf_counter()))
        after = sample()
        run.cpu_s = (after[0] - before[0], after[1] - before[1], after[2] - before[2])

    await asyncio.gather(
        meter(), *(agent(token, cid, rng.uniform(0, call_s[1])) for token, cid in agents)
    )
    client.close()
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 agents, 20,000 patients, 30 s")
    parser.add_argument("--agents", type=int)
    parser.add_argument("--patients", type=int)
    parser.add_argument("--duration", type=float)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    agents_n = args.agents or (200 if args.quick else 2000)
    patients = args.patients or (20_000 if args.quick else 1_000_000)
    duration = args.duration or (30.0 if args.quick else 180.0)
    call_s = (2.0, 6.0) if args.quick else (20.0, 60.0)
    with postgres_cluster() as admin_url:
        url = create_database(admin_url, "pulse_dialing")
        print(f"# loading {patients} patients, {agents_n} agents", file=sys.stderr, flush=True)
        started = time.monotonic()
        agents = load_world(url, patients, agents_n)
        FIGURES.emit("load_s", time.monotonic() - started, "s", patients=patients)
        port = free_port()
        log = Path(tempfile.mkdtemp(prefix="pulse-dialing-")) / "server.log"
        server = start_server(url, port, args.workers, log)
        load_1m = os.getloadavg()[0]
        try:
            base = f"http://127.0.0.1:{port}"
            database = postmaster_pid(url)
            run = asyncio.run(work(base, agents, duration, call_s, server.pid, database))
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        conninfo = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(conninfo) as conn:
            row = conn.execute(
                "SELECT count(*) FROM (SELECT patient_id FROM call_attempts"
                " GROUP BY patient_id HAVING count(*) > 1) twice"
            ).fetchone()
            attempts_twice = int(row[0]) if row else -1
            row = conn.execute(
                "SELECT count(*) FROM dial_queue d JOIN patients p ON p.id = d.patient_id"
                " WHERE p.do_not_call AND d.state = 'leased'"
            ).fetchone()
            dnc_leased = int(row[0]) if row else -1
    size = {"agents": agents_n, "patients": patients, "duration_s": duration}
    FIGURES.emit("lease_p50_ms", percentile(run.lease_ms, 0.50), "ms", **size)
    FIGURES.emit(
        "lease_p99_ms", percentile(run.lease_ms, 0.99), "ms", "<= 50", leases=len(run.lease_ms)
    )
    FIGURES.emit("control_p50_ms", percentile(run.control_ms, 0.50), "ms", control="GET leases")
    FIGURES.emit("control_p99_ms", percentile(run.control_ms, 0.99), "ms", control="GET leases")
    FIGURES.emit("intake_p99_ms", percentile(run.intake_ms or [0.0], 0.99), "ms")
    FIGURES.emit("leases", sum(run.leased.values()), "count", empty_leases=run.empty)
    FIGURES.emit("errors", run.errors, "count")
    FIGURES.emit("dispositions_refused", run.refused, "count", "== 0")
    twice = sum(1 for c in run.leased.values() if c > 1)
    FIGURES.emit("leased_twice", twice, "patients", "== 0")
    FIGURES.emit("attempts_twice", attempts_twice, "patients", "== 0")
    FIGURES.emit("do_not_call_leased", dnc_leased, "patients", "== 0")
    requests = len(run.lease_ms) + len(run.control_ms) + len(run.intake_ms)
    for name, cpu_s in zip(("server", "database", "generator"), run.cpu_s, strict=True):
        FIGURES.emit(f"{name}_cpu_ms_per_request", cpu_s * 1000 / max(1, requests), "ms")
    FIGURES.emit(
        "cpu_cores_used",
        sum(run.cpu_s) / duration,
        "cores",
        requests=requests,
        cores=os.cpu_count() or 0,
        loadavg_1m_at_start=round(load_1m, 2),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
