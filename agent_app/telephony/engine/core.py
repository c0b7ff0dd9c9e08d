"""The engine: the ``pulse-sip`` thread that alone enters pjsua2 (it polls the library, runs
every queued command and receives every callback); commands in, events out."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pjsua2 as pj

from agent_app.telephony import protocol as p
from agent_app.telephony.addressing import InvalidTarget
from agent_app.telephony.call_audio import CallAudio
from agent_app.telephony.engine.accounts import AccountHandling
from agent_app.telephony.engine.errors import EngineError
from agent_app.telephony.engine.library import EndpointLibrary

_POLL_MS = 5


class Engine(EndpointLibrary, AccountHandling):
    """One pjsua2 Endpoint on its own thread; commands in, events out.

    The commands and callbacks live in the parts it combines; ``_execute`` finds the
    ``_cmd_<type>`` handler of a command in whichever part defines it.
    ``audio_factory`` builds the :class:`CallAudio` bridge on the pjsua2 thread after
    the library started (None: the null device only, as in pulse-phone).
    """

    def __init__(
        self,
        on_event: Callable[[p.Event], None],
        audio_factory: Callable[[], CallAudio] | None = None,
    ) -> None:
        super().__init__(on_event, audio_factory)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._last_watch = 0.0

    # ------------------------------------------------------------ lifecycle (any thread)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._ready.is_set()

    @property
    def ports(self) -> dict[str, int]:
        return dict(self._ports)

    def start(self, config: p.EngineConfig, timeout: float = 15.0) -> None:
        """Start the pjsua2 thread and wait until the library runs; raises EngineError."""
        if self._thread is not None:
            raise EngineError("the engine is already started")
        self._config = config
        self._thread = threading.Thread(target=self._run, name="pulse-sip", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise EngineError("the SIP library did not start in time")
        if self._start_error is not None:
            raise EngineError(f"the SIP library did not start: {self._start_error}")

    def stop(self, timeout: float = 10.0) -> None:
        """Hang up every call, release everything and destroy the library."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout)
        self._thread = None

    def submit(self, command: p.Command) -> Future[Any]:
        """Queue a command for the pjsua2 thread; the future holds its result or error.

        Failures are also reported as a :class:`protocol.CommandFailed` event.
        """
        future: Future[Any] = Future()
        self._commands.put((lambda: self._execute(command), future))
        return future

    def run_sync(self, command: p.Command, timeout: float = 10.0) -> Any:
        return self.submit(command).result(timeout)

    # ------------------------------------------------------------ the pjsua2 thread

    def _run(self) -> None:
        try:
            self._create_library()
        except Exception as exc:  # the library refused its configuration
            self._start_error = exc
            self._ready.set()
            self._destroy_library()
            return
        self._ready.set()
        try:
            while not self._stop.is_set():
                self._turn()
        finally:
            self._shutdown_library()

    def _turn(self) -> None:
        assert self._ep is not None
        self._ep.libHandleEvents(_POLL_MS)
        while True:
            try:
                job, future = self._commands.get_nowait()
            except queue.Empty:
                break
            try:
                result = job()
            except Exception as exc:
                # No traceback or context: their frames would keep pjsua2 objects alive.
                exc.__context__ = None
                if future is not None:
                    future.set_exception(exc.with_traceback(None))
            else:
                if future is not None:
                    future.set_result(result)
        now = time.monotonic()
        if self._tone_playing is not None:
            self._sync_tone(now)  # the busy tone ends by itself
        every = min(0.25, self._config.stats_interval_s or 0.25)
        if now - self._last_watch >= every:
            self._last_watch = now
            self._watch_media(now)

    # ------------------------------------------------------------ commands

    def _execute(self, command: p.Command) -> Any:
        handler = getattr(self, f"_cmd_{command.type}", None)
        if handler is None:
            raise EngineError(f"the engine does not handle '{command.type}'")
        try:
            return handler(command)
        except (EngineError, InvalidTarget) as exc:
            self._emit(
                p.CommandFailed(
                    command=command.type, message=str(exc), call_id=getattr(command, "call_id", "")
                )
            )
            raise
        except pj.Error as exc:
            message = f"{exc.title}: {exc.reason}"
            self._emit(
                p.CommandFailed(
                    command=command.type, message=message, call_id=getattr(command, "call_id", "")
                )
            )
            raise EngineError(message) from None

    def _cmd_ping(self, cmd: p.Ping) -> None:
        self._emit(p.Pong(seq=cmd.seq))

    def _cmd_query_state(self, cmd: p.QueryState) -> None:
        self._emit(p.EngineState(tuple(sorted(self._calls)), tuple(sorted(self._accounts))))

    def _cmd_start_engine(self, cmd: p.StartEngine) -> None:
        raise EngineError("the engine is already started")

    def _cmd_shutdown(self, cmd: p.Shutdown) -> None:
        self._stop.set()
