"""The desktop's handle on the engine process: start, supervise, restart, talk.

:class:`EngineClient` is plain Python (no pjsua2, no Qt): it starts
``python -m agent_app.telephony.engine_server`` as a child process, connects to its
loopback port with a one-time token, sends :mod:`protocol` commands and hands every
event to ``on_event`` on its reader thread. When the child dies unexpectedly it is
started again (with backoff), given the same engine configuration and accounts, and
an :class:`protocol.EngineRestarted` event says so: every call it held is gone.

:class:`QtEngineClient` is the thin Qt adapter: it re-emits each event as the
``engine_event`` signal, delivered on the thread that owns the adapter (the GUI thread).
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

from agent_app.foundation.child_processes import child_environment
from agent_app.foundation.logs import active_log, log_arguments
from agent_app.telephony import protocol as p

log = logging.getLogger(__name__)

PORT_LINE_PREFIX = "PULSE-ENGINE "


class EngineUnavailable(RuntimeError):
    """The engine process could not be started or reached."""


class EngineClient:
    def __init__(
        self,
        on_event: Callable[[p.Event], None],
        *,
        python: str = sys.executable,
        env: Mapping[str, str] | None = None,
        restart: bool = True,
        max_restarts: int = 5,
        start_timeout: float = 20.0,
        log: tuple[Path, str] | None = None,
    ) -> None:
        """``log``: the directory and level of the engine's own log file; by default those
        of this process's log (:func:`~agent_app.foundation.logs.active_log`), and with no
        log here, the engine's warnings go to standard error."""
        self._on_event = on_event
        self._python = python
        self._log = log if log is not None else active_log()
        self._env = child_environment(env)
        self._restart = restart
        self._max_restarts = max_restarts
        self._start_timeout = start_timeout
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._config: p.EngineConfig | None = None
        self._accounts: dict[str, p.AccountSpec] = {}
        self._stopping = False
        self._ready = threading.Event()
        self._restarts: list[float] = []
        self._supervisor: threading.Thread | None = None
        self.port = 0
        """Loopback port of the engine process (diagnostics)."""

    # ---------------------------------------------------------- lifecycle

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self, config: p.EngineConfig) -> None:
        """Start the engine process and wait until its SIP stack is ready."""
        self._config = config
        self._stopping = False
        self._spawn()
        self._supervisor = threading.Thread(
            target=self._supervise, name="pulse-engine-supervisor", daemon=True
        )
        self._supervisor.start()

    def _spawn(self) -> None:
        assert self._config is not None
        token = secrets.token_hex(16)
        proc = subprocess.Popen(
            [
                self._python,
                "-m",
                "agent_app.telephony.engine_server",
                "--token-stdin",
                *log_arguments(self._log),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,
            env=self._env,
        )
        try:
            # The socket's token goes through a pipe, never the child's environment.
            assert proc.stdin is not None
            proc.stdin.write(token.encode() + b"\n")
            proc.stdin.close()
            port = self._read_port(proc)
            sock = socket.create_connection(("127.0.0.1", port), timeout=self._start_timeout)
            sock.settimeout(None)
            sock.sendall(json.dumps({"hello": token}).encode() + b"\n")
        except Exception as exc:
            proc.kill()
            proc.wait()
            self._close_stdout(proc.stdout)  # a retried start must not leak the pipe
            raise EngineUnavailable(f"the engine process did not start: {exc}") from None
        self._ready.clear()
        with self._lock:
            self._proc, self._sock = proc, sock
            self.port = port
        threading.Thread(
            target=self._read_events, args=(sock,), name="pulse-engine-reader", daemon=True
        ).start()
        self._send_raw(p.StartEngine(config=self._config))
        for spec in self._accounts.values():
            self._send_raw(p.AddAccount(account=spec))
        if not self._ready.wait(self._start_timeout):
            raise EngineUnavailable("the engine process did not report ready")

    def _read_port(self, proc: subprocess.Popen[bytes]) -> int:
        assert proc.stdout is not None
        result: list[int] = []

        def read() -> None:
            assert proc.stdout is not None
            line = proc.stdout.readline().decode(errors="replace")
            if line.startswith(PORT_LINE_PREFIX):
                result.append(int(line[len(PORT_LINE_PREFIX) :].strip()))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(self._start_timeout)
        if not result:
            raise EngineUnavailable("no port line from the engine process")
        return result[0]

    def stop(self, timeout: float = 10.0) -> None:
        """Shut the engine down cleanly (it hangs up calls and destroys the library)."""
        self._stopping = True
        proc = self._proc
        if proc is None:
            return
        with contextlib.suppress(OSError):
            self._send_raw(p.Shutdown())
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("engine process did not exit in time; killing it")
            proc.kill()
            proc.wait()
        self._close_socket()
        if self._supervisor is not None:
            self._supervisor.join(timeout)
        self._close_stdout(proc.stdout)

    @staticmethod
    def _close_stdout(stream: IO[bytes] | None) -> None:
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()

    def _close_socket(self) -> None:
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _supervise(self) -> None:
        while True:
            proc = self._proc
            if proc is None:
                return
            code = proc.wait()
            if self._stopping:
                return
            self._close_socket()
            self._close_stdout(proc.stdout)
            now = time.monotonic()
            self._restarts = [t for t in self._restarts if now - t < 60] + [now]
            if not self._restart or len(self._restarts) > self._max_restarts:
                self._deliver(
                    p.CommandFailed("engine", f"the engine process exited ({code}); not restarting")
                )
                return
            time.sleep(min(5.0, 0.2 * 2 ** (len(self._restarts) - 1)))
            try:
                self._spawn()
            except EngineUnavailable as exc:
                self._deliver(p.CommandFailed("engine", str(exc)))
                continue
            self._deliver(p.EngineRestarted(reason=_describe_exit(code), exit_code=code))

    # ---------------------------------------------------------- commands

    def send(self, command: p.Command) -> None:
        """Send a command; raises EngineUnavailable while the engine is down."""
        if isinstance(command, p.AddAccount):
            self._accounts[command.account.account_id] = command.account
        elif isinstance(command, p.RemoveAccount):
            self._accounts.pop(command.account_id, None)
        self._send_raw(command)

    def _send_raw(self, command: p.Command) -> None:
        with self._lock:
            sock = self._sock
            if sock is None:
                raise EngineUnavailable("the engine process is not running")
            try:
                sock.sendall(p.encode(command))
            except OSError as exc:
                raise EngineUnavailable(f"the engine process is not reachable: {exc}") from None

    # ---------------------------------------------------------- events

    def _read_events(self, sock: socket.socket) -> None:
        with contextlib.suppress(OSError), sock.makefile("rb") as stream:
            for line in stream:
                try:
                    message = p.decode(line)
                except p.ProtocolError as exc:
                    log.warning("engine sent a malformed line: %s", exc)
                    continue
                if isinstance(message, p.EngineReady):
                    self._ready.set()
                if isinstance(message, p.Event):
                    self._deliver(message)

    def _deliver(self, event: p.Event) -> None:
        try:
            self._on_event(event)
        except Exception:
            log.exception("engine event handler failed for %s", event.type)


def _describe_exit(code: int) -> str:
    if code < 0:
        return f"the engine process was killed by signal {-code}"
    return f"the engine process exited with status {code}"
