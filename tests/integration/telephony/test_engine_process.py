"""The engine process: restart after a crash, token check, malformed lines, Qt adapter."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from agent_app.telephony import protocol as p
from agent_app.telephony.engine_server import PORT_LINE_PREFIX, TOKEN_ENV
from testbed.ports import free_port

pytestmark = pytest.mark.integration


def test_engine_crash_is_restarted_with_its_accounts(start_engine, phone) -> None:
    eng = start_engine()
    old_pid = eng.client.pid
    assert old_pid is not None
    os.kill(old_pid, signal.SIGKILL)
    restarted = eng.events.wait_type(p.EngineRestarted, timeout=30)
    assert restarted.exit_code == -signal.SIGKILL and "signal 9" in restarted.reason
    assert eng.client.pid != old_pid
    asked = time.monotonic()
    eng.send(p.QueryState())
    state = eng.events.wait_for(lambda e: isinstance(e, p.EngineState) and e.at >= asked)
    assert state.accounts == ("agent",) and state.calls == ()
    peer_port = free_port()
    peer = phone("listen", "--port", str(peer_port), "--auto-answer")
    peer.ready()
    eng.send(p.Dial(call_id="c1", account_id="agent", target=f"sip:x@127.0.0.1:{peer_port}"))
    eng.events.wait_type(p.CallStateChanged, call_id="c1", state="confirmed")
    eng.send(p.Hangup(call_id="c1"))
    eng.events.wait_type(p.CallEnded, call_id="c1")


def test_malformed_line_gets_a_named_error_and_the_link_stays() -> None:
    """Spoken to on its wire directly (the port line, the hello, JSON lines), as a client
    that writes garbage would."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent_app.telephony.engine_server"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, TOKEN_ENV: "wire-test-token"},
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().decode().removeprefix(PORT_LINE_PREFIX))
        with socket.create_connection(("127.0.0.1", port), timeout=20) as link:
            lines = link.makefile("rb")

            def next_event() -> p.Event:
                event = p.decode(lines.readline())
                assert isinstance(event, p.Event)
                return event

            link.sendall(json.dumps({"hello": "wire-test-token"}).encode() + b"\n")
            link.sendall(b"{broken\n")
            link.sendall(b'{"v":1,"kind":"command","type":"hangup"}\n')
            failures = [next_event(), next_event()]
            assert all(isinstance(f, p.CommandFailed) for f in failures), failures
            assert "not JSON" in failures[0].message  # type: ignore[attr-defined]
            assert "missing field 'call_id'" in failures[1].message  # type: ignore[attr-defined]
            # With the desk's audio bridge: Qt Multimedia has its say on standard error.
            config = p.EngineConfig(
                bind_address="127.0.0.1", local_port=free_port(), audio="devices"
            )
            link.sendall(p.encode(p.StartEngine(config=config)) + p.encode(p.Ping(seq=1)))
            seen = [next_event()]
            while not isinstance(seen[-1], p.Pong) and len(seen) < 10:
                seen.append(next_event())
            assert isinstance(seen[-1], p.Pong) and seen[-1].seq == 1, seen
            link.sendall(p.encode(p.Shutdown()))
        assert proc.wait(timeout=20) == 0
        # Qt's messages went through logging, without the ones the engine causes on purpose.
        assert proc.stderr is not None
        said = proc.stderr.read().decode()
        assert "QtMultimedia backends" not in said and "pipewire" not in said, said
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_a_local_client_without_the_token_is_refused(start_engine) -> None:
    eng = start_engine()
    with socket.create_connection(("127.0.0.1", eng.client.port), timeout=5) as rogue:
        # The engine serves one client; a second one is dropped whatever it says.
        rogue.settimeout(5)
        # Dropped before it finished talking: the writes or the read may see the reset.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            rogue.sendall(json.dumps({"hello": "guess"}).encode() + b"\n")
            rogue.sendall(p.encode(p.Ping(seq=99)))
            assert rogue.recv(4096) == b""
    eng.send(p.Ping(seq=2))
    eng.events.wait_type(p.Pong, seq=2)
    assert not eng.events.of_type(p.Pong, seq=99)


def test_qt_adapter_delivers_events_on_the_gui_thread(qtbot) -> None:
    from agent_app.telephony.qt_client import QtEngineClient

    adapter = QtEngineClient()
    seen: list[tuple[p.Event, bool]] = []
    main = threading.main_thread()
    adapter.engine_event.connect(lambda e: seen.append((e, threading.current_thread() is main)))
    adapter.start(p.EngineConfig(bind_address="127.0.0.1", local_port=free_port()))
    try:
        qtbot.waitUntil(lambda: any(isinstance(e, p.EngineReady) for e, _ in seen), timeout=20000)
        adapter.send(p.Ping(seq=5))
        qtbot.waitUntil(lambda: any(isinstance(e, p.Pong) for e, _ in seen), timeout=10000)
    finally:
        adapter.stop()
    assert all(on_main for _, on_main in seen)


def test_the_engine_environment_holds_no_token_and_no_secret(
    start_engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What an operator's shell may hold: none of it is the engine's business.
    monkeypatch.setenv("PULSE_SERVER_SIP_SECRET_KEY", "ab" * 32)
    monkeypatch.setenv("PULSE_TEST_PW", "synthetic-password")
    eng = start_engine()
    assert eng.client.pid is not None
    environ = Path(f"/proc/{eng.client.pid}/environ").read_bytes().split(b"\0")
    names = {entry.split(b"=", 1)[0].decode() for entry in environ if b"=" in entry}
    assert TOKEN_ENV not in names
    assert not names & {"PULSE_SERVER_SIP_SECRET_KEY", "PULSE_TEST_PW"}
    assert "PATH" in names  # the rest of the environment is passed on


def test_the_engine_logs_beside_the_app_in_its_own_private_file(tmp_path: Path) -> None:
    """With the app's log directory, the engine's warnings reach a redacted, owner-only file
    of its own (a desk started from its shortcut has no standard error), and a native abort
    of pjsua2 would leave its stack dump there."""
    from agent_app.telephony.client import EngineClient
    from tests.helpers.telephony_peers import EventLog

    events = EventLog()
    logs = tmp_path / "logs"
    client = EngineClient(events.put, log=(logs, "INFO"), restart=False)
    try:
        # A codec this build lacks: the engine warns and goes on with the others.
        config = p.EngineConfig(
            bind_address="127.0.0.1", local_port=free_port(), codecs=("NOPE/8000", "PCMU/8000")
        )
        client.start(config)
        events.wait_type(p.EngineReady)
        engine_log = logs / "pulse-engine.log"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if engine_log.exists() and "NOPE/8000" in engine_log.read_text():
                break
            time.sleep(0.1)
        text = engine_log.read_text()
        assert "WARNING" in text and "codec NOPE/8000 is not available in this build" in text
        assert engine_log.stat().st_mode & 0o777 == 0o600
        native = logs / "engine-native-crash.txt"
        assert native.exists() and native.stat().st_mode & 0o777 == 0o600
    finally:
        client.stop()
