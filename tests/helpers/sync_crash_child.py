"""A short-lived workstation for the crash test: record two dispositions, sync, exit.

``python -m tests.helpers.sync_crash_child AGENT`` (with PULSE_HOME, the keyring's session
bus and PULSE_SYNC_SERVER_URL in the environment) forks one such run per request. The test
kills it with SIGKILL at random moments. Disposition ``crash-<n>`` is derived from a
counter kept only in the journal (``crash.counter``), and the counter moves only after the
disposition is in the journal, so after any crash the next run knows exactly which
dispositions exist:

* counter == n and ``crash-<n>`` is in the outbox → it was queued; move the counter on;
* counter == n and it is not there → it was never queued (it cannot have been sent, since
  sending happens only after the counter moved).
"""

from __future__ import annotations

import os
import sys

from agent_app.secrets.store import SecretStore
from agent_app.store.agent_store import AgentStore
from agent_app.sync.api import ServerApi
from agent_app.sync.credentials import TokenVault
from agent_app.sync.errors import SyncError
from agent_app.sync.service import SyncService
from testbed.sync_setup import WORKSTATION, disposition

COUNTER = "crash.counter"
PER_RUN = 2


def call_id(n: int) -> str:
    return f"crash-{n}"


def _queued(store: AgentStore, n: int) -> bool:
    rows = store.journal.db.query(
        "SELECT count(*) FROM outbox_items WHERE call_id = ?", (call_id(n),)
    )
    return int(rows[0][0]) > 0


def run(agent: str, *, drain: bool = False) -> int:
    secrets = SecretStore()
    api = ServerApi(os.environ["PULSE_SYNC_SERVER_URL"], device_id=WORKSTATION, timeout_s=10)
    store = AgentStore.open(
        agent_id=agent, workstation_id=WORKSTATION, secrets=secrets, verify="none"
    )
    try:
        service = SyncService(api=api, vault=TokenVault(secrets), store=store, agent_id=agent)
        journal = store.journal
        n = int(journal.get_state(COUNTER) or 0)
        if _queued(store, n):
            n += 1
            journal.set_state(COUNTER, str(n))
        if not drain:
            for _ in range(PER_RUN):
                payload = disposition(call_id(n), notes=f"run note {n}")
                service.enqueue("disposition", payload, call_id=call_id(n))
                n += 1
                journal.set_state(COUNTER, str(n))
        try:
            service.sync_once(pull=False)
        except SyncError as exc:
            print(f"sync failed: {type(exc).__name__}", file=sys.stderr)
            return 3
        return 0
    finally:
        store.close()
        api.close()


def zygote(agent: str) -> int:
    """Fork one run per ``run`` line, so each run skips the interpreter's start-up.

    The work happens in the forked process (fresh keyring, HTTP and SQLCipher connections:
    nothing is opened before the fork); the test SIGKILLs it by pid, then sends ``wait``.
    """
    for line in sys.stdin:
        command = line.strip()
        if command not in ("run", "drain"):
            break
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = run(agent, drain=command == "drain")
            finally:
                os._exit(code)
        print(f"pid {pid}", flush=True)
        if sys.stdin.readline().strip() != "wait":
            break
        _, status = os.waitpid(pid, 0)
        print(f"status {status}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(zygote(sys.argv[1]))
