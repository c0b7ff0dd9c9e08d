"""The engine process: the telephony engine served over a loopback socket.

Started by :class:`agent_app.telephony.client.EngineClient` as
``python -m agent_app.telephony.engine_server``. The main thread runs a
``QCoreApplication`` (the audio bridge puts its Qt Multimedia objects on a QThread of
this process); the SIP stack runs on the engine's own ``pulse-sip`` thread.

Wire: a ``QTcpServer`` on 127.0.0.1 and an ephemeral port (Windows has no AF_UNIX in
Qt and a named pipe would need a second code path); the port is printed as the first
line of standard output (``PULSE-ENGINE <port>``). The first line the client sends is
``{"hello": "<token>"}`` with the token it passed in ``PULSE_ENGINE_TOKEN`` (environment,
not argv, so it never shows in a process list); any other peer is disconnected. Then
JSON lines of :mod:`protocol` both ways. A malformed line gets a ``command_failed``
event naming the problem, and the connection stays up.

The process exits when told (``shutdown``), when its client disconnects, when its
parent process is gone (on Linux the kernel says so at once with SIGTERM, through
``PR_SET_PDEATHSIG``; elsewhere a one-second poll notices), or on SIGTERM / SIGINT; each
way hangs up the calls and destroys the SIP library as a shutdown does.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys

# hmac.compare_digest itself: importing hmac starts OpenSSL, 3.6 MiB this process never uses.
from _operator import _compare_digest as compare_digest
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal, Slot
from PySide6.QtNetwork import QHostAddress, QTcpServer, QTcpSocket

from agent_app.foundation import qt_compat, qt_messages
from agent_app.foundation.child_processes import die_with_parent
from agent_app.telephony import protocol as p
from agent_app.telephony.call_audio import CallAudio

log = logging.getLogger(__name__)

ENGINE_LOG = "pulse-engine.log"

TOKEN_ENV = "PULSE_ENGINE_TOKEN"  # noqa: S105 - a variable name
PORT_LINE_PREFIX = "PULSE-ENGINE "
_MAX_LINE = 1024 * 1024


class _EventPipe(QObject):
    """Carries engine events from the pulse-sip thread to the Qt main thread."""

    line = Signal(bytes)


class EngineServer(QObject):
    def __init__(
        self,
        token: str,
        audio_factory: Callable[[], CallAudio] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        from agent_app.telephony.engine.core import Engine

        self._token = token
        self._pipe = _EventPipe()
        self._pipe.line.connect(self._write)
        self._engine = Engine(self._on_engine_event, audio_factory)
        self._started = False
        self._server = QTcpServer(self)
        self._server.newConnection.connect(self._accept)
        self._socket: QTcpSocket | None = None
        self._authed = False
        self._buffer = b""
        self._parent_pid = os.getppid()
        self._watch = QTimer(self)
        self._watch.timeout.connect(self._check_parent)
        self._watch.start(1000)

    def listen(self) -> int:
        if not self._server.listen(QHostAddress(QHostAddress.SpecialAddress.LocalHost), 0):
            raise OSError(f"cannot listen on loopback: {self._server.errorString()}")
        return int(self._server.serverPort())

    # ---------------------------------------------------------- engine side

    def _on_engine_event(self, event: p.Event) -> None:
        # pulse-sip thread: only serialise and hand over (a queued signal).
        self._pipe.line.emit(p.encode(event))

    @Slot(bytes)
    def _write(self, line: bytes) -> None:
        if self._socket is not None and self._authed:
            self._socket.write(line)
            self._socket.flush()

    # ---------------------------------------------------------- client side

    @Slot()
    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            sock = self._server.nextPendingConnection()
            if self._socket is not None:
                sock.disconnectFromHost()
                continue
            self._socket = sock
            self._authed = False
            self._buffer = b""
            sock.readyRead.connect(self._read)
            sock.disconnected.connect(self._client_gone)

    @Slot()
    def _read(self) -> None:
        sock = self._socket
        if sock is None:
            return
        self._buffer += bytes(sock.readAll().data())
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            if line.strip():
                self._handle_line(line)
        if len(self._buffer) > _MAX_LINE:
            self._buffer = b""
            self._reply(p.CommandFailed(command="?", message="line too long"))

    def _handle_line(self, line: bytes) -> None:
        if not self._authed:
            try:
                hello = json.loads(line)
                token = str(hello.get("hello", "")) if isinstance(hello, dict) else ""
            except ValueError:
                token = ""
            if not compare_digest(token.encode(), self._token.encode()):
                log.warning("engine: a local client without the right token was refused")
                if self._socket is not None:
                    self._socket.disconnectFromHost()
                return
            self._authed = True
            return
        try:
            message = p.decode(line)
        except p.ProtocolError as exc:
            self._reply(p.CommandFailed(command="?", message=str(exc)))
            return
        if not isinstance(message, p.Command):
            self._reply(p.CommandFailed(command="?", message="events are not accepted here"))
            return
        self._dispatch(message)

    def _dispatch(self, command: p.Command) -> None:
        from agent_app.telephony.engine.errors import EngineError

        if isinstance(command, p.StartEngine):
            if self._started:
                self._reply(p.CommandFailed(command.type, "the engine is already started"))
                return
            from agent_app.telephony.audio.engine_audio import set_devices

            set_devices(command.config.audio_devices)
            try:
                self._engine.start(command.config)
            except EngineError as exc:
                self._reply(p.CommandFailed(command.type, str(exc)))
                return
            self._started = True
            return
        if isinstance(command, p.Shutdown):
            self._quit()
            return
        if not self._started:
            self._reply(p.CommandFailed(command.type, "the engine is not started"))
            return
        future = self._engine.submit(command)
        # Failures are reported as events by the engine itself; just consume them here.
        future.add_done_callback(lambda f: f.exception())

    def _reply(self, event: p.Event) -> None:
        self._write(p.encode(event))

    @Slot()
    def _client_gone(self) -> None:
        log.info("engine: client disconnected; stopping")
        self._quit()

    @Slot()
    def _check_parent(self) -> None:
        if os.getppid() != self._parent_pid:
            log.info("engine: parent process is gone; stopping")
            self._quit()

    def quit_on_signal(self, signum: int, frame: object) -> None:
        """SIGTERM / SIGINT handler. Python runs it between steps on the main thread (the
        parent watch wakes Python every second); the clean shutdown hangs up the calls."""
        QTimer.singleShot(0, self._quit)

    def _quit(self) -> None:
        self._watch.stop()
        self._engine.stop()
        if self._started:
            # The engine's final event (engine_stopped) went through the queued pipe.
            QCoreApplication.processEvents()
        sock = self._socket
        if sock is not None and sock.state() == QTcpSocket.SocketState.ConnectedState:
            sock.flush()
            sock.waitForBytesWritten(1000)
            sock.disconnectFromHost()
        QCoreApplication.quit()


def _start_logging(args: list[str]) -> None:
    """The app's log directory (``--log-dir``, ``--log-level``): the engine's own redacted
    file and crash files beside the app's. Without one (pulse-phone, a test), warnings go to
    standard error."""
    from agent_app.foundation.logs import start_child_logging

    if not start_child_logging(args, filename=ENGINE_LOG, prefix="engine-"):
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        if "--log-dir" in args:  # named, but not writable: calls go on regardless
            log.warning("engine: logging to standard error")


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv[1:])
    if "--token-stdin" in args:
        # The app's way: the first line of standard input (not visible in /proc/*/environ).
        token = sys.stdin.readline().strip()
    else:
        token = os.environ.pop(TOKEN_ENV, "")
    if not token:
        print(f"engine: no token (--token-stdin, or {TOKEN_ENV})", file=sys.stderr)
        return 2
    _start_logging(args)
    die_with_parent(signal.SIGTERM)
    qt_compat.apply()
    qt_messages.install()
    app = QCoreApplication(argv if argv is not None else sys.argv)
    # No Qt plugins: the one this process would load is Qt Multimedia's FFmpeg media
    # backend (with FFmpeg, Qt Quick and QML: ~14 MiB), which audio devices, sinks and
    # sources do without; nothing else here (no GUI, no TLS) looks for a plugin.
    QCoreApplication.setLibraryPaths([])
    server = EngineServer(token)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, server.quit_on_signal)
    from agent_app.telephony.audio.engine_audio import set_event_sink

    # The audio bridge's device events join the engine's own (the same thread-safe path).
    set_event_sink(server._on_engine_event)
    port = server.listen()
    try:
        print(f"{PORT_LINE_PREFIX}{port}", flush=True)
    except BrokenPipeError:  # the app that started it is gone already
        log.info("engine: the app went away before it read the port; stopping")
        return 0
    result: Any = app.exec()
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, signal.SIG_DFL)
    del server
    return int(result)


if __name__ == "__main__":
    sys.exit(main())
