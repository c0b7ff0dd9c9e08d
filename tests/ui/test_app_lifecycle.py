"""The desktop app's children end with it: SIGTERM stops them cleanly, SIGKILL cannot orphan them.

The real app runs in a subprocess (``--demo``: its demo server is a child process), signs in,
starts its phone (the engine process), and is then terminated or killed. No process it
started may be left (read from /proc; psutil is not a dependency).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from testbed.ports import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ENGINE = "agent_app.telephony.engine_server"
DEMO_SERVER = "server demo"
HELPER = "agent_app.secrets.helper"


def _processes() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, state, command line) of every process."""
    found: dict[int, tuple[int, str, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(entry.name)] = (int(fields[1]), fields[0], cmdline.strip())
    return found


def _descendants(root: int) -> dict[int, str]:
    table = _processes()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _state, _cmd) in table.items():
        children.setdefault(ppid, []).append(pid)
    found: dict[int, str] = {}
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found[pid] = table[pid][2]
        todo.extend(children.get(pid, []))
    return found


def _alive(pid: int) -> bool:
    """Running (a zombie has finished; only its exit status waits to be collected)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :].split()[0] != "Z"


def _left(started: dict[int, str]) -> list[str]:
    return sorted(cmd for pid, cmd in started.items() if _alive(pid))


def _wait(condition: Callable[[], bool], what: Callable[[], str], timeout: float) -> None:
    # Another process is watched: there is no event loop here to wait on.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out: {what()}")


def _with_patient_phones(proc: subprocess.Popen[bytes], started: dict[int, str]) -> None:
    """The demo's patient phones start after the desk: wait for them, so that the checks cover
    them too (a phone given two SIGTERMs at once once outlived the app)."""
    if shutil.which("kamailio", path=f"{os.environ.get('PATH', '')}:/usr/sbin") is None:
        return  # no demo phone system, no patient phones

    def up() -> bool:
        started.update(_descendants(proc.pid))
        return any("phone_cli listen" in c for c in started.values())

    _wait(up, lambda: f"the demo's patient phones; children: {sorted(started.values())}", 60)


@pytest.fixture
def running_app(
    tmp_path: Path, secret_service_env: dict[str, str]
) -> Iterator[tuple[subprocess.Popen[bytes], dict[int, str]]]:
    env = {
        **os.environ,
        **secret_service_env,
        "QT_QPA_PLATFORM": "offscreen",
        "PULSE_HOME": str(tmp_path / "pulse-home"),
        # A direct-call account, so that the phone starts without a PBX.
        "PULSE_SIP_USERNAME": "agent",
        "PULSE_SIP_REGISTRAR": "",
        "PULSE_SIP_DOMAIN": "127.0.0.1",
        "PULSE_SIP_LOCAL_PORT": str(free_port()),
        "PYTHONPATH": str(ROOT),
    }
    log = (tmp_path / "app.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.ui.app_child"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    started: dict[int, str] = {}

    def both_children() -> bool:
        started.update(_descendants(proc.pid))
        commands = list(started.values())
        return any(ENGINE in c for c in commands) and any(DEMO_SERVER in c for c in commands)

    try:
        _wait(
            both_children,
            lambda: "the app signed in and started its phone and demo server",
            120,
        )
        yield proc, started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in _descendants(proc.pid):
            os.kill(pid, signal.SIGKILL)
        log.close()


def test_the_demo_desk_registers_with_the_demo_phone_system(
    running_app: tuple[subprocess.Popen[bytes], dict[int, str]], tmp_path: Path
) -> None:
    """``make run``'s path: the demo hands the desk its PBX, and the phone registers there."""
    if shutil.which("kamailio", path=f"{os.environ.get('PATH', '')}:/usr/sbin") is None:
        pytest.skip("the demo's phone system needs Kamailio")
    _proc, started = running_app
    logs = tmp_path / "pulse-home" / "logs"

    def registered() -> bool:
        return any(
            "phone account primary: registered (200" in f.read_text(errors="replace")
            for f in logs.glob("*.log")
        )

    _wait(
        registered, lambda: f"a registration in the log; children: {sorted(started.values())}", 60
    )
    assert any("kamailio" in c for c in started.values())


def test_the_demo_caller_rings_the_desk_a_few_seconds_after_sign_in(
    running_app: tuple[subprocess.Popen[bytes], dict[int, str]], tmp_path: Path
) -> None:
    """``make run`` rings: the demo's caller, a pulse-phone child of the app, calls the signed-in
    desk as the first demo case, and the desk rings (its window comes forward)."""
    if shutil.which("kamailio", path=f"{os.environ.get('PATH', '')}:/usr/sbin") is None:
        pytest.skip("the demo's phone system needs Kamailio")
    proc, started = running_app
    logs = tmp_path / "pulse-home" / "logs"

    def logged(text: str) -> bool:
        return any(text in f.read_text(errors="replace") for f in logs.glob("*.log"))

    def rang() -> bool:
        started.update(_descendants(proc.pid))
        return logged("demo: caller 1 rings the desk (case known)") and logged(
            "rings: window brought forward"
        )

    _wait(rang, lambda: f"the demo call in the log; children: {sorted(started.values())}", 90)
    assert any("phone_cli call" in c for c in started.values())


def _maps(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text(errors="replace")


def test_the_signed_in_desk_holds_no_keyring_and_its_secrets_helper_ends(
    running_app: tuple[subprocess.Popen[bytes], dict[int, str]],
) -> None:
    """The keyring is read by the secrets helper, which has ended once the desk is idle; the
    desk itself never loaded the keyring's crypto library (the private key's code), and
    the engine never started OpenSSL."""
    proc, started = running_app

    def helper_gone() -> bool:
        return not any(HELPER in c for c in _descendants(proc.pid).values())

    _wait(helper_gone, lambda: f"the secrets helper ended; children: {_left(started)}", 30)
    assert "cryptography" not in _maps(proc.pid)
    assert "_cffi_backend" not in _maps(proc.pid)
    engine = next(pid for pid, c in _descendants(proc.pid).items() if ENGINE in c)
    assert "_hashlib" not in _maps(engine)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_closes_the_app_and_stops_engine_and_demo_server(
    running_app: tuple[subprocess.Popen[bytes], dict[int, str]], signum: int
) -> None:
    proc, started = running_app
    _with_patient_phones(proc, started)
    proc.send_signal(signum)
    assert proc.wait(60) == 128 + signum, "the app closed through its own clean-up"
    _wait(lambda: not _left(started), lambda: f"children left running: {_left(started)}", 30)


def test_sigkill_of_the_app_leaves_no_orphan(
    running_app: tuple[subprocess.Popen[bytes], dict[int, str]],
) -> None:
    proc, started = running_app
    _with_patient_phones(proc, started)
    proc.kill()
    proc.wait(10)
    _wait(lambda: not _left(started), lambda: f"orphans left running: {_left(started)}", 30)
