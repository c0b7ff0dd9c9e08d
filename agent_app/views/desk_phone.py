"""The agent's phone for one shift: the engine process, the desk's workflow session, the line.

:class:`DeskPhone` starts the engine process (off the GUI thread, on a thread that lives
until the phone stops, because the engine's parent-death signal follows the thread that
started it), adds the agent's SIP account, hands every engine event to the
:class:`~agent_app.workflow.agent_session.AgentSession` and to the
:class:`~agent_app.workflow.line_status.LineMonitor` on the GUI thread, and re-emits what
the views need as Qt signals. Once a second it runs the session's timers. The session's
state changes reach the journal just after the window has shown them
(:class:`~agent_app.views.deferred_outbox.DeferredOutbox`). Stopping it hangs up the calls
(the engine's shutdown does), ends them in the session and writes what the journal still
owes; their after-call work stays.

With no account configured it never starts an engine and says "not configured".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from agent_app.telephony import protocol as p
from agent_app.telephony.client import EngineUnavailable
from agent_app.telephony.qt_client import QtEngineClient
from agent_app.views.deferred_outbox import DeferredOutbox
from agent_app.workflow.agent_session import AgentSession, Outbox
from agent_app.workflow.agent_state import AgentStatus, NotReadyReason
from agent_app.workflow.call_book import Lookup
from agent_app.workflow.desk_settings import DEFAULT_NOT_READY_REASONS, DeskSettings
from agent_app.workflow.disposition import DeskCache, WrapUpJournal
from agent_app.workflow.events import CallChanged, CallFinished, Problem, WorkflowEvent
from agent_app.workflow.identity_gate import AuditSink
from agent_app.workflow.line_status import LineMonitor, LineStatus

log = logging.getLogger(__name__)

TICK_MS = 1000
DIRECT_REASON = "direct calls (no registrar)"


def _no_engine(command: p.Command) -> None:
    raise EngineUnavailable("no phone account is configured on this workstation")


class DeskPhone(QObject):
    workflow_event = Signal(object)
    """Each :data:`~agent_app.workflow.events.WorkflowEvent`, as the session emits it."""
    engine_event = Signal(object)
    """Each engine event, after the session and the line monitor took it."""
    line_changed = Signal(object)
    """:class:`LineStatus` of the line and the call the agent is on."""
    ticked = Signal(object)
    """:class:`AgentStatus` once a second (timers)."""
    _started = Signal()
    _start_failed = Signal(str)

    def __init__(
        self,
        *,
        session: AgentSession,
        engine: QtEngineClient | None,
        config: p.EngineConfig,
        account: p.AccountSpec | None,
        not_configured: str = "",
        deferred: DeferredOutbox | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.deferred = deferred
        """The session's outbox when it writes after the paint (flushed when the phone stops)."""
        self.engine = engine
        self.config = config
        self.account = account
        self.direct = account is not None and not (account.register and account.registrar)
        self.line = LineMonitor(tls="tls" in config.transports, direct=self.direct)
        self._not_configured = not_configured
        self._owner: threading.Thread | None = None
        self._stop = threading.Event()
        self._since_ready: dict[str, p.RegistrationChanged] = {}
        self._stopped = False
        self.start_failure: str | None = None
        """Why the engine did not start (the agent can retry), or None."""
        self._unsubscribe = session.subscribe(self._on_workflow_event)
        if engine is not None:
            engine.engine_event.connect(self._on_engine_event)
        self._started.connect(self._on_started)
        self._start_failed.connect(self._on_start_failed)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self.tick)

    @classmethod
    def create(
        cls,
        *,
        account: p.AccountSpec | None,
        config: p.EngineConfig,
        outbox: Outbox,
        audit: AuditSink,
        lookup: Lookup,
        reasons: Sequence[NotReadyReason] = DEFAULT_NOT_READY_REASONS,
        settings: DeskSettings | None = None,
        server_now: Callable[[], str] | None = None,
        engine_env: Mapping[str, str] | None = None,
        not_configured: str = "",
        parent: QObject | None = None,
        journal: WrapUpJournal | None = None,
        cache: Callable[[], DeskCache] | None = None,
        on_journaled: Callable[[], None] | None = None,
    ) -> DeskPhone:
        """The engine client and the session wired together (no engine without an account).

        ``journal``, ``cache`` and ``on_journaled`` go to the session's after-call work
        (see :class:`AgentSession`)."""
        engine = None if account is None else QtEngineClient(env=engine_env)
        desk = settings or DeskSettings()
        if account is not None and not desk.account_id:
            from dataclasses import replace

            desk = replace(desk, account_id=account.account_id)
        # State changes are journaled just after the window shows them (a ringing call's
        # card must not wait for a journal transaction); ``at`` is still the change's time.
        deferred = DeferredOutbox(
            outbox, lambda message: phone.workflow_event.emit(Problem(message))
        )
        session = AgentSession(
            send=_no_engine if engine is None else engine.send,
            outbox=deferred,
            audit=audit,
            lookup=lookup,
            reasons=reasons,
            settings=desk,
            server_now=server_now,
            # Dispositions are written at once, never deferred: the outbox itself when it
            # is a journal (the deferral is for state changes only).
            journal=journal
            if journal is not None or not isinstance(outbox, WrapUpJournal)
            else outbox,
            cache=cache,
            on_journaled=on_journaled,
        )
        phone = cls(
            session=session,
            engine=engine,
            config=config,
            account=account,
            not_configured=not_configured,
            deferred=deferred,
            parent=parent,
        )
        deferred.setParent(phone)
        if engine is not None:
            engine.setParent(phone)
        return phone

    # -- life cycle ------------------------------------------------------------------------

    @property
    def configured(self) -> bool:
        return self.engine is not None and self.account is not None

    @property
    def engine_pid(self) -> int | None:
        return None if self.engine is None else self.engine.client.pid

    def start(self) -> None:
        """Start the engine in the background; the line says when it is ready."""
        self._timer.start()
        if not self.configured:
            self.line.not_configured(self._not_configured or "no phone account is configured")
            self._emit_line()
            return
        self._emit_line()
        self._start_owner()

    def _start_owner(self) -> None:
        self._owner = threading.Thread(
            target=self._own_engine, name="pulse-phone-owner", daemon=True
        )
        self._owner.start()

    def retry_start(self) -> bool:
        """Start the engine again after it failed to start; False when that is not the case."""
        owner = self._owner
        if self._stopped or not self.configured or self.start_failure is None:
            return False
        if owner is not None:
            owner.join(1.0)  # it has reported the failure and is on its way out
            if owner.is_alive():
                return False
        log.info("starting the phone again at the agent's request")
        self.start_failure = None
        self.line.starting()
        self._emit_line()
        self._start_owner()
        return True

    def _own_engine(self) -> None:
        """The owner thread: start the engine, then keep it (and stop it) until told."""
        engine, account = self.engine, self.account
        assert engine is not None and account is not None
        try:
            engine.start(self.config)
            engine.send(p.AddAccount(account=account))
        except EngineUnavailable as exc:
            log.error("the phone did not start: %s", exc)
            engine.stop()
            self._emit_safely(self._start_failed, str(exc))
            return
        self._emit_safely(self._started)
        self._stop.wait()
        engine.stop()

    @staticmethod
    def _emit_safely(signal: Any, *args: object) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the phone object is gone (the app is closing)
            log.debug("phone signal dropped: the phone is gone")

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the engine (it hangs up every call) and end the calls in the session."""
        if self._stopped:
            return
        self._stopped = True
        self._timer.stop()
        owner = self._owner
        if owner is not None:
            self._stop.set()
            owner.join(timeout)
            if owner.is_alive():
                log.warning("the phone did not stop within %.0f s", timeout)
        if self.engine is not None:
            self.session.handle(p.EngineStopped())
            self.line.engine_down("the phone was stopped")
        if self.deferred is not None:
            self.deferred.flush()  # before the store closes
        self._unsubscribe()

    def _on_workflow_event(self, event: WorkflowEvent) -> None:
        self.workflow_event.emit(event)
        if isinstance(event, CallChanged | CallFinished):
            self._emit_line()  # the call the agent is on may be another one now

    @Slot()
    def _on_started(self) -> None:
        log.info("phone started (engine process %s)", self.engine_pid)
        if self.direct and self.account is not None:
            self._direct_registered(self.account.account_id)
        self._emit_line()

    @Slot(str)
    def _on_start_failed(self, message: str) -> None:
        self.start_failure = message
        self.line.engine_down(message)
        self._emit_line()

    def _direct_registered(self, account_id: str) -> None:
        # An account without a registrar takes calls at once: no REGISTER will say so.
        self.session.handle(p.RegistrationChanged(account_id, "registered", reason=DIRECT_REASON))

    # -- engine events (GUI thread) ---------------------------------------------------------

    @Slot(object)
    def _on_engine_event(self, event: p.Event) -> None:
        if self._stopped:
            return
        self.session.handle(event)
        changed = self.line.handle(event)
        if isinstance(event, p.EngineReady):
            self._since_ready.clear()
        elif isinstance(event, p.RegistrationChanged):
            self._since_ready[event.account_id] = event
            # For IT diagnosing "can't register" from the log: no secrets in a reason.
            log.info(
                "phone account %s: %s (%s %s)",
                event.account_id,
                event.state,
                event.code,
                event.reason,
            )
        elif isinstance(event, p.EngineRestarted):
            log.warning("the phone restarted: %s", event.reason)
            # The new engine may have registered before this news came: say it again.
            for registration in self._since_ready.values():
                self.session.handle(registration)
                self.line.handle(registration)
            if self.direct and self.account is not None:
                self._direct_registered(self.account.account_id)
        self.engine_event.emit(event)
        if changed:
            self._emit_line()

    # -- the clock --------------------------------------------------------------------------

    @Slot()
    def tick(self) -> None:
        status: AgentStatus = self.session.poll()
        self.ticked.emit(status)
        self._emit_line()

    def line_status(self) -> LineStatus:
        focus = self.session.focus
        return self.line.status(None if focus is None or not focus.answered else focus.call_id)

    def _emit_line(self) -> None:
        self.line_changed.emit(self.line_status())
