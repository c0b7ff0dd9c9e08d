"""Children that end with their parent: the kernel's parent-death signal (Linux)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")

# A parent that starts a long sleeper, prints its pid and waits. The sleeper asks for the
# signal either through the parent's pre-exec step or itself (as the engine process does).
PARENT = """
import subprocess, sys, time
from agent_app.foundation.child_processes import parent_death_preexec
itself = "from agent_app.foundation.child_processes import die_with_parent; die_with_parent();"
code = (itself if sys.argv[1] == "itself" else "") + "print('armed', flush=True);"
code += "import time; time.sleep(120)"
child = subprocess.Popen([sys.executable, "-c", code],
                         preexec_fn=parent_death_preexec() if sys.argv[1] == "preexec" else None)
print(child.pid, flush=True)
time.sleep(120)
"""


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :].split()[0] != "Z"


@pytest.mark.parametrize("how", ["preexec", "itself"])
def test_a_child_dies_when_its_parent_is_killed(how: str) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, how], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        lines = {parent.stdout.readline().strip() for _ in range(2)}
        lines.discard("armed")  # the child asked for the signal before saying so
        child = int(lines.pop())
        assert _running(child)
        parent.kill()
        parent.wait(10)
        deadline = time.monotonic() + 10
        # Another process is watched: there is no event to wait on here.
        while _running(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _running(child), "the child outlived its killed parent"
    finally:
        if parent.poll() is None:
            parent.kill()
        if parent.stdout is not None:
            parent.stdout.close()


def test_child_environment_leaves_out_secrets() -> None:
    from agent_app.foundation.child_processes import child_environment

    given = {
        "PATH": "/usr/bin",
        "DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/bus",
        "PULSE_SERVER": "unix:/run/pulse/native",
        "PULSE_SERVER_SECRET_KEY": "x",
        "PULSE_SERVER_DATABASE_URL": "postgresql://u:p@db/pulse",
        "PULSE_DEMO_SIP_PASSWORD": "x",
        "PULSE_ENGINE_TOKEN": "x",
        "SOME_API_KEY": "x",
        "PULSE_TEST_PW": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
    }
    assert set(child_environment(given)) == {"PATH", "DBUS_SESSION_BUS_ADDRESS", "PULSE_SERVER"}
