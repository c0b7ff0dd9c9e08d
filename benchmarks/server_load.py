"""Central server under load: simulated agents syncing every 30 s against PostgreSQL.

Each agent, once per 30 s period at its own offset, pulls its patient delta and posts a small
intake batch (a disposition and an audit event). Arrivals are open-loop (a late response never
delays the next sync), so queueing shows up in the latencies. The server runs as ``pulse-server
serve`` (2 workers) in its own process on a PostgreSQL cluster started for the run; this process is
the load generator (asyncio with a lean keep-alive HTTP/1.1 client). Agents' tokens and starting
cursors are minted directly in the database, so the run measures syncing, not sign-in.

Figures: p50/p99 latency of every request at each agent count; ``agents_at_p99_100ms`` (the agent
count where p99 crosses 100 ms, interpolated; the largest count tried when it never does) and
``p99_ms_at_2000``.
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
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from server.cursors import Cursor, CursorCodec
from server.db import current_seq, make_engine, session_factory, upgrade
from server.identity import _sign_in_device
from server.models import Patient, User
from server.seed import did, seed_demo
from server.settings import ServerSettings
from testbed.ports import free_port
from testbed.server_postgres import create_database, postgres_cluster
from testbed.timing import Figures, percentile, wait_until

PERIOD_S = 30.0
SECRET = "benchmark-signing-key"
FIGURES = Figures("server_load")


def prepare(url: str, agents: int, patients: int) -> tuple[list[tuple[str, str]], str]:
    """Seed the world; return [(access token, delta cursor)] per agent and a patient id."""
    upgrade(url)
    settings = ServerSettings(
        database_url=url,
        secret_key=SECRET,
        access_token_ttl_s=86400,
        argon2_memory_kib=1024,
        argon2_time_cost=1,
    )
    engine = make_engine(url)
    sessions = session_factory(engine)
    seed_demo(sessions, patients=patients, extra_agents=agents)
    codec = CursorCodec(SECRET.encode(), 30 * 86400.0)
    out = []
    with sessions() as s, s.begin():
        head, _ = current_seq(s)
        for n in range(agents):
            user = s.get(User, did("user", f"agent{n:04d}"))
            assert user is not None
            tokens = _sign_in_device(
                s, settings, user=user, client_device_id=f"bench-{n}", name="bench"
            )
            cursor = codec.encode(Cursor("d", head, ""), user_id=user.id, feed="patients")
            out.append((tokens.access_token, cursor))
    some_patient = did("patient", 0)
    engine.dispose()
    return out, some_patient


def start_server(url: str, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PULSE_SERVER_DATABASE_URL": url,
        "PULSE_SERVER_SECRET_KEY": SECRET,
        "PULSE_SERVER_DB_POOL_SIZE": "20",
        "PULSE_SERVER_ACCESS_TOKEN_TTL_S": "86400",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--data-dir",
            str(log.parent),
        ],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env=env,
    )

    def healthy() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(healthy, 60, 0.2, what=f"the server to answer (log: {log})")
    except AssertionError:
        proc.kill()
        raise
    return proc


def intake_batch(patient_id: str) -> dict[str, Any]:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    call = str(uuid.uuid4())
    return {
        "items": [
            {
                "id": str(uuid.uuid4()),
                "kind": "disposition",
                "created_at": now,
                "payload": {
                    "call_id": call,
                    "patient_id": patient_id,
                    "campaign_id": None,
                    "code": "SYS_NO_ANSWER",  # a built-in code: valid without a campaign
                    "fields": {},
                    "notes": "",
                    "agent_started_at": now,
                    "agent_ended_at": now,
                },
            },
            {
                "id": str(uuid.uuid4()),
                "kind": "audit",
                "created_at": now,
                "payload": {
                    "action": "view",
                    "patient_id": patient_id,
                    "reason": "screen-pop",
                    "result": "ok",
                },
            },
        ]
    }


class _Response:
    __slots__ = ("body", "received_at", "status")

    def __init__(self, status: int, body: bytes, received_at: float) -> None:
        self.status = status
        self.body = body
        self.received_at = received_at


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection with at most one request in flight."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[_Response] | None = None
        self.open = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.open = True

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionResetError("server closed the connection"))

    def data_received(self, data: bytes) -> None:
        # The response counts as received when its last byte is read, not when the awaiting
        # task next gets the event loop.
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).split(b"\r\n")
        length = 0
        for line in head[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if len(self.buffer) < end + 4 + length:
            return
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        status = int(head[0].split(b" ", 2)[1])
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(_Response(status, body, time.perf_counter()))

    def request(self, raw: bytes) -> asyncio.Future[_Response]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return self.waiter


class LoadClient:
    """A lean keep-alive HTTP/1.1 client for the load generator (JSON bodies with a
    Content-Length, as the server sends them).

    The simulated agents each run on their own workstation; here they share the server's two
    cores, so the generator must cost little CPU (httpx cost about as much per request as the
    server did) and must time a request from its first byte written to its last byte read,
    without the generator's own task scheduling after the response arrived."""

    def __init__(self, host: str, port: int, max_connections: int = 256) -> None:
        self.host, self.port = host, port
        self.idle: list[_Connection] = []
        self.slots = asyncio.Semaphore(max_connections)

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(_Connection, self.host, self.port)
        return conn

    async def send(
        self, method: str, target: str, token: str, body: bytes | None = None
    ) -> tuple[int, bytes, float]:
        """(status, body, milliseconds from sending to the whole response read)."""
        head = (
            f"{method} {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Bearer {token}\r\n"
        )
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        raw = (head + "\r\n").encode() + (body or b"")
        started = time.perf_counter()
        async with self.slots:
            for attempt in (0, 1):
                reused = False
                conn = None
                while self.idle:
                    candidate = self.idle.pop()  # most recently used: least likely timed out
                    if candidate.open:
                        conn, reused = candidate, True
                        break
                if conn is None:
                    conn = await self._connect()
                try:
                    response = await conn.request(raw)
                except ConnectionResetError:
                    # A kept-alive connection the server closed as idle just as it was reused.
                    if reused and attempt == 0:
                        continue
                    raise
                self.idle.append(conn)
                return response.status, response.body, (response.received_at - started) * 1000
        raise AssertionError("unreachable")

    def close(self) -> None:
        for conn in self.idle:
            if conn.transport is not None:
                conn.transport.close()
        self.idle.clear()


async def run_step(
    base: str, agents: list[tuple[str, str]], cursors: list[str], patient_id: str, duration_s: float
) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    rng = random.Random(len(agents))
    host, port = base.removeprefix("http://").rsplit(":", 1)
    client = LoadClient(host, int(port))

    async def sync(index: int) -> None:
        nonlocal errors
        token, _ = agents[index]
        try:
            target = "/api/v1/sync/patients?" + urlencode({"cursor": cursors[index], "limit": 200})
            status, body, ms = await client.send("GET", target, token)
            latencies.append(ms)
            if status != 200:
                errors += 1
                return
            cursors[index] = json.loads(body)["cursor"]
            batch = json.dumps(intake_batch(patient_id)).encode()
            status, body, ms = await client.send("POST", "/api/v1/intake", token, batch)
            latencies.append(ms)
            if status != 200:
                errors += 1
        except OSError:
            # A refused or reset connection counts as an error and as a 30 s wait.
            errors += 1
            latencies.append(30_000.0)

    offsets = sorted((rng.uniform(0, PERIOD_S), i) for i in range(len(agents)))
    begin = time.perf_counter()
    tasks = []
    cycle = 0
    while True:
        for offset, index in offsets:
            at = cycle * PERIOD_S + offset
            if at >= duration_s:
                break
            delay = begin + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(sync(index)))
        cycle += 1
        if cycle * PERIOD_S >= duration_s:
            break
    await asyncio.gather(*tasks)
    client.close()
    return latencies, errors


def tree_cpu_s(root: int) -> float:
    """User + system CPU seconds of a process and its descendants (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    stats: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        stats[pid] = (int(fields[11]) + int(fields[12])) / tick
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        total += stats.get(pid, 0.0)
        stack.extend(children.get(pid, []))
    return total


def churn(url: str, stop_at: float) -> None:
    """A supervisor editing a patient now and then, so deltas are not all empty."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    from server.db import next_seq

    n = 0
    while time.monotonic() < stop_at:
        with sessions() as s, s.begin():
            p = s.get(Patient, did("patient", n % 50))
            if p is not None:
                p.care_program = f"Program {n % 5}"
                p.version += 1
                p.seq = next_seq(s)
        n += 1
        time.sleep(2.0)
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short run (under a minute)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    counts = [250, 1000, 2000] if args.quick else [500, 1000, 1500, 2000, 2500, 3000]
    duration = 12.0 if args.quick else 45.0
    patients = 2000 if args.quick else 10000
    with postgres_cluster() as admin_url:
        url = create_database(admin_url, "pulse_bench")
        print(f"# seeding {max(counts)} agents, {patients} patients", file=sys.stderr, flush=True)
        agents, patient_id = prepare(url, max(counts), patients)
        port = free_port()
        log = Path(tempfile.mkdtemp(prefix="pulse-bench-")) / "server.log"
        server = start_server(url, port, args.workers, log)
        results: dict[int, tuple[float, float]] = {}
        try:
            import threading

            # Warm-up, not recorded: pools filled, statements prepared, caches hot.
            warm = [c for _, c in agents[: counts[0]]]
            asyncio.run(
                run_step(f"http://127.0.0.1:{port}", agents[: counts[0]], warm, patient_id, 8.0)
            )
            for count in counts:
                if count > 2000 and results and max(p for _, p in results.values()) > 1000:
                    break  # past saturation already: larger counts only queue longer
                stop_at = time.monotonic() + duration + 5
                churner = threading.Thread(target=churn, args=(url, stop_at), daemon=True)
                churner.start()
                cursors = [c for _, c in agents[:count]]
                cpu_before = tree_cpu_s(server.pid)
                latencies, errors = asyncio.run(
                    run_step(
                        f"http://127.0.0.1:{port}", agents[:count], cursors, patient_id, duration
                    )
                )
                cpu_ms = (tree_cpu_s(server.pid) - cpu_before) * 1000
                churner.join()
                FIGURES.emit(
                    f"server_cpu_ms_per_request_at_{count}",
                    cpu_ms / max(1, len(latencies)),
                    "ms",
                    loadavg_1m=round(os.getloadavg()[0], 2),
                )
                p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
                results[count] = (p50, p99)
                FIGURES.emit(
                    f"p50_ms_at_{count}", p50, "ms", requests=len(latencies), errors=errors
                )
                FIGURES.emit(
                    f"p99_ms_at_{count}",
                    p99,
                    "ms",
                    "<= 100",
                    requests=len(latencies),
                    errors=errors,
                )
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    crossing = float(max(counts))
    note = "p99 stayed under 100 ms at every count tried"
    previous = (0, 0.0)
    for count in counts:
        p99 = results[count][1]
        if p99 > 100:
            c0, p0 = previous
            crossing = c0 + (count - c0) * (100 - p0) / (p99 - p0) if p99 != p0 else float(count)
            note = f"p99 crossed 100 ms between {c0} and {count} agents"
            break
        previous = (count, p99)
    FIGURES.emit("agents_at_p99_100ms", crossing, "agents", ">= 2000", note=note)
    if 2000 in results:
        FIGURES.emit("p99_ms_at_2000", results[2000][1], "ms", "<= 100")
    return 0


if __name__ == "__main__":
    sys.exit(main())
