"""10,000 dispositions queued while the server is away, then the server returns.

Prints the time from the network coming back (the engine is nudged, as the OS watcher
does) to an empty outbox, the HTTP requests that took, and the exactly-once check read
from the server's database: dispositions lost and duplicated. Uses the real server, the
real encrypted store and a real gnome-keyring, all in a temporary directory.

``python -m benchmarks.sync_drain`` (``--quick``: 2,000 dispositions).
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import time
from pathlib import Path

from testbed.timing import Figures, wait_until

FIGURES = Figures("sync_drain", digits=3)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sync_drain")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--count", type=int)
    args = parser.parse_args()
    count = args.count or (2000 if args.quick else 10_000)

    with tempfile.TemporaryDirectory(prefix="pulse-bench-sync-") as tmp:
        root = Path(tmp)
        os.environ["PULSE_HOME"] = str(root / "pulse-home")
        from testbed.secret_service import secret_service

        with secret_service(root / "keyring") as env:
            os.environ.update(env)
            return _run(root, count)


def _run(root: Path, count: int) -> int:
    from keyring.backends import SecretService

    from agent_app.sync.backoff import Backoff
    from agent_app.sync.status import Connection
    from testbed.sync_server import AGENT, AGENT_PASSWORD, RealServer
    from testbed.sync_setup import SyncRig, disposition

    server = RealServer(root / "server")
    server.start()
    rig = SyncRig(server.url, SecretService.Keyring(), enrolment_code=server.enrolment_code())
    try:
        rig.sign_in(AGENT, AGENT_PASSWORD)
        service = rig.open_service(AGENT, backoff=Backoff(base_s=1.0, cap_s=60.0))
        service.sync_once()  # the cache is warm, as on a working desk
        server.stop()
        service.start()
        started = time.monotonic()
        ids = []
        for i in range(count):
            call = f"bench-{i}"
            ids.append(service.enqueue("disposition", disposition(call), call_id=call))
        enqueue_s = time.monotonic() - started
        wait_until(
            lambda: service.tracker.status.connection is Connection.OFFLINE,
            120,
            what="the engine to notice the outage",
        )
        journal = service.store.journal
        assert journal.counts().unsynced == count

        server.start()
        requests_before = rig.api.requests_made
        back = time.monotonic()
        service.engine.nudge()  # what the OS reachability watcher does
        wait_until(lambda: not journal.counts().unsynced, 600, 0.01, what="the outbox to drain")
        drain_s = time.monotonic() - back
        requests = rig.api.requests_made - requests_before
        service.stop()

        stored = collections.Counter(r[0] for r in server.intake_rows("disposition"))
        lost = sum(1 for i in ids if i not in stored)
        duplicated = sum(n - 1 for n in stored.values() if n > 1) + sum(
            1 for i in stored if i not in set(ids)
        )
        FIGURES.emit("queued", count, "dispositions")
        FIGURES.emit("enqueue_ms_per_item", enqueue_s * 1000 / count, "ms")
        FIGURES.emit("drain_s", drain_s, "s", "<= 10")
        FIGURES.emit("requests", requests, "requests")
        FIGURES.emit("lost", lost, "dispositions", "== 0")
        FIGURES.emit("duplicated", duplicated, "dispositions", "== 0")
        return 0 if lost == 0 and duplicated == 0 else 1
    finally:
        rig.close()
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
