"""SIGKILL at 200 random moments while recording and syncing: every disposition exactly once."""

from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent_app.secrets.store import SecretStore
from agent_app.store.agent_store import AgentStore
from testbed.sync_server import AGENT, AGENT_PASSWORD, RealServer
from testbed.sync_setup import WORKSTATION, SyncRig
from tests.helpers.sync_crash_child import COUNTER, call_id

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KILLS = 200
REPO = Path(__file__).resolve().parents[3]


class Zygote:
    """Drives the forking child: one run per call, SIGKILLed after ``kill_after_s``."""

    def __init__(self, server: RealServer) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.sync_crash_child", AGENT],
            cwd=REPO,
            env={**os.environ, "PULSE_SYNC_SERVER_URL": server.url},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def _ask(self, line: str, prefix: str) -> int:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().split()
        assert answer[:1] == [prefix], answer
        return int(answer[1])

    def run(self, kill_after_s: float | None = None, command: str = "run") -> tuple[str, float]:
        started = time.monotonic()
        pid = self._ask(command, "pid")
        if kill_after_s is not None:
            time.sleep(kill_after_s)
            os.kill(pid, signal.SIGKILL)  # a zombie (already finished) ignores it
        status = self._ask("wait", "status")
        took = time.monotonic() - started
        if os.WIFSIGNALED(status):
            return "killed", took
        return f"exit {os.WEXITSTATUS(status)}", took

    def close(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.process.stdout.close()


@pytest.mark.timeout(600)
def test_sigkill_at_random_moments_loses_and_duplicates_nothing(
    server: RealServer, secret_backend: object
) -> None:
    rig = SyncRig(server.url, secret_backend, enrolment_code=server.enrolment_code())
    rig.sign_in(AGENT, AGENT_PASSWORD)  # tokens in the keyring for the children
    rig.close()

    zygote = Zygote(server)
    try:
        # How long an uninterrupted run takes, so kills land across all of it.
        spans = []
        for _ in range(3):
            outcome, took = zygote.run()
            assert outcome == "exit 0"
            spans.append(took)
        span = sorted(spans)[1]
        rng = random.Random(20261128)
        outcomes: collections.Counter[str] = collections.Counter()
        # Kill until 200 kills landed; a run that finished first teaches how long runs take
        # now (a loaded machine makes them slower or faster than the first measure).
        for _ in range(KILLS * 4):
            if outcomes["killed"] == KILLS:
                break
            outcome, took = zygote.run(kill_after_s=rng.uniform(0.0, span))
            outcomes[outcome] += 1
            if outcome != "killed":
                span = took
        print(f"run {span:.2f} s; {dict(outcomes)}")
        assert outcomes["killed"] == KILLS
        assert set(outcomes) <= {"killed", "exit 0"}
        assert zygote.run(command="drain")[0] == "exit 0"
    finally:
        zygote.close()

    secrets = SecretStore(secret_backend)  # type: ignore[arg-type]
    with AgentStore.open(agent_id=AGENT, workstation_id=WORKSTATION, secrets=secrets) as store:
        recorded = int(store.journal.get_state(COUNTER) or 0)
        assert store.journal.counts().unsynced == 0
    stored = collections.Counter(
        str(payload["call_id"]) for _, _, payload in server.intake_rows("disposition")
    )
    expected = {call_id(n) for n in range(recorded)}
    assert recorded >= 2 * (outcomes["exit 0"] + 3)
    assert set(stored) == expected, (
        f"missing {expected - set(stored)}, extra {set(stored) - expected}"
    )
    assert [c for c, times in stored.items() if times != 1] == []
