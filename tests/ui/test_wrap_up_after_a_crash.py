"""Nothing typed is lost: the real app (``--demo``, in a child process) is killed with SIGKILL
in the middle of a wrap-up; started again, it reopens the wrap-up with the code, the field
and the notes the agent typed, and the submitted disposition reaches the demo server once."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from testbed.ports import free_port
from tests.helpers.telephony_peers import Phone
from tests.ui.app_child import MODE_ENV, NOTES, OUT_ENV, PEER_ENV

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _wait(
    condition: Callable[[], bool],
    what: str,
    timeout: float,
    detail: Callable[[], str] = str,
) -> None:
    # Another process is watched: there is no event loop here to wait on.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out: {what} {detail()}".rstrip())


def _alive(pids: list[int]) -> list[str]:
    """The processes of ``pids`` still running, as "pid name": a zombie has ended already,
    whoever reaps it."""
    running = []
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        name, state = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2]
        if state not in "ZX":
            running.append(f"{pid} {name}")
    return running


def _children(root: int) -> list[int]:
    found, todo = [], [root]
    table: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            table.setdefault(int(stat[stat.rindex(")") + 2 :].split()[1]), []).append(
                int(entry.name)
            )
    while todo:
        for pid in table.get(todo.pop(), []):
            found.append(pid)
            todo.append(pid)
    return found


class App:
    """One run of the app in a child process, working the wrap-up in ``mode``."""

    def __init__(self, home: Path, env: dict[str, str], mode: str, log: Path) -> None:
        self.report_path = home.parent / f"wrap-up-{mode}.json"
        self.report_path.unlink(missing_ok=True)
        self._log = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.ui.app_child"],
            cwd=ROOT,
            env={**env, MODE_ENV: mode, OUT_ENV: str(self.report_path)},
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.children: list[int] = []

    def report(self) -> dict[str, Any]:
        try:
            found = json.loads(self.report_path.read_text())
        except (OSError, ValueError):
            return {}
        self.children = sorted(set(self.children) | set(_children(self.proc.pid)))
        return found if isinstance(found, dict) else {}

    def wait_for(self, key: str, timeout: float = 120) -> dict[str, Any]:
        def reported() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"the app exited with {self.proc.returncode}")
            return key in self.report()

        _wait(reported, f"the app reports {key!r}", timeout)
        return self.report()

    def kill(self) -> None:
        self.children = sorted(set(self.children) | set(_children(self.proc.pid)))
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        for pid in self.children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._log.close()


@pytest.fixture
def launch(
    tmp_path: Path, secret_service_env: dict[str, str]
) -> Iterator[Callable[[str, str], App]]:
    home = tmp_path / "pulse-home"
    env = {
        **os.environ,
        **secret_service_env,
        "QT_QPA_PLATFORM": "offscreen",
        "PULSE_HOME": str(home),
        "PULSE_SIP_USERNAME": "agent",
        "PULSE_SIP_REGISTRAR": "",
        "PULSE_SIP_DOMAIN": "127.0.0.1",
        "PULSE_SIP_LOCAL_PORT": str(free_port()),
        "PYTHONPATH": str(ROOT),
    }
    started: list[App] = []

    def start(mode: str, peer: str) -> App:
        app = App(home, {**env, PEER_ENV: peer}, mode, tmp_path / f"app-{mode}.log")
        started.append(app)
        return app

    yield start
    for app in started:
        app.stop()


def _dispositions(home: Path, record_id: str) -> list[dict[str, Any]]:
    database = home / "data" / "demo-server" / "pulse-server.db"
    if not database.exists():
        return []
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        rows = conn.execute("SELECT id, payload FROM intake_items WHERE kind = 'disposition'")
        found = [(r[0], json.loads(r[1])) for r in rows]
    except sqlite3.OperationalError:
        return []  # the server is still creating its tables
    finally:
        conn.close()
    return [p for item_id, p in found if record_id in (item_id, p.get("call_id"))]


def test_a_wrap_up_survives_kill_9_and_reaches_the_server_once(
    launch: Callable[[str, str], App], peers: Callable[..., Phone], tmp_path: Path
) -> None:
    port = free_port()
    patient_line = peers("listen", "--port", str(port), "--auto-answer")
    patient_line.ready()
    peer = f"sip:patient@127.0.0.1:{port}"

    first = launch("type", peer)
    typed = first.wait_for("notes", timeout=180)
    assert typed["code"] == "CALLBACK" and typed["notes"] == NOTES
    assert typed["fields"].get("callback_at"), typed
    first.kill()
    _wait(
        lambda: not _alive(first.children),
        "the app's children ended with it",
        60,
        lambda: f"still running: {_alive(first.children)}",
    )

    second = launch("restore", peer)
    restored = second.wait_for("record_id", timeout=180)
    assert restored["record_id"] == typed["record_id"]
    assert (restored["code"], restored["tree_code"]) == ("CALLBACK", "CALLBACK")
    assert restored["fields"] == typed["fields"]
    assert restored["shown"] == typed["shown"], "the editor shows the time typed"
    assert restored["notes"] == NOTES
    assert restored["state"] in ("wrap_up", "not_ready", "offline")
    done = second.wait_for("done", timeout=120)
    assert done["submitted"] is True

    home = tmp_path / "pulse-home"
    _wait(
        lambda: len(_dispositions(home, typed["record_id"])) >= 1,
        "the disposition reaches the demo server",
        90,
    )
    [record] = _dispositions(home, typed["record_id"])
    assert record["code"] == "CALLBACK" and record["notes"] == NOTES
