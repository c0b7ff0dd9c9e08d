"""The main window's status bar: the agent's state, the phone line, the server and sync at a glance.

Each indicator is a label with a short word and a colour, plus a tooltip with the
detail, so that an agent can tell "offline since 14:02" from "registration failed"
without opening anything. The phone's indicators: registration (with the registrar's
reason in the tooltip), encryption (TLS signalling, SRTP audio of the current call),
and whether the call's audio flows (from the engine's packet counters).
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from agent_app.sync.status import Connection, SyncStatus
from agent_app.views.agent_state_bar import state_text
from agent_app.views.call_history import duration_text
from agent_app.views.styling import fit_text
from agent_app.workflow.agent_state import AgentState, AgentStatus
from agent_app.workflow.line_status import AudioQuality, LineStatus, PhoneState


class Level(Enum):
    OK = "#1b5e20"
    BUSY = "#8d6e00"
    PROBLEM = "#b00020"
    UNKNOWN = "#555555"


class Indicator(QLabel):
    def __init__(self, name: str, parent: QWidget | None = None, caption: str = "") -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._caption = caption or name
        self.setAccessibleName(self._caption)
        self.show_state(self.tr("not started"), Level.UNKNOWN, "")

    def show_state(self, word: str, level: Level, detail: str) -> None:
        if getattr(self, "level", None) is not level:
            # A new style sheet restyles the label: only when its colour changes.
            self.setStyleSheet(f"color: {level.value}; padding: 0 6px;")
            self.level = level
        text = f"{self._caption}: {word}"
        if text != self.text():
            self.setText(text)
            fit_text(self)
        self.setToolTip(detail)
        self.setAccessibleDescription(f"{self._caption} {word}. {detail}")


_STATE_LEVELS = {
    AgentState.READY: Level.OK,
    AgentState.NOT_READY: Level.BUSY,
    AgentState.RINGING: Level.OK,
    AgentState.ON_CALL: Level.OK,
    AgentState.WRAP_UP: Level.BUSY,
    AgentState.OFFLINE: Level.PROBLEM,
}


class PulseStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.agent = Indicator("agentIndicator", self, self.tr("State"))
        self.connection = Indicator("Server", self, self.tr("Server"))
        self.registration = Indicator("Phone", self, self.tr("Phone"))
        self.security = Indicator("securityIndicator", self, self.tr("Encryption"))
        self.quality = Indicator("audioIndicator", self, self.tr("Audio"))
        self.sync = Indicator("Sync", self, self.tr("Sync"))
        self.agent.hide()
        self.security.hide()
        self.quality.hide()
        for indicator in (
            self.agent,
            self.registration,
            self.security,
            self.quality,
            self.connection,
            self.sync,
        ):
            self.addPermanentWidget(indicator)

    # -- the agent -------------------------------------------------------------------------

    @Slot(object)
    def show_agent_status(self, status: AgentStatus) -> None:
        """The state with its reason and time in state (once a second from the session)."""
        self.agent.show()
        level = Level.PROBLEM if status.overdue else _STATE_LEVELS[status.state]
        detail = self.tr("In this state for {time}").format(time=duration_text(status.elapsed_s))
        if status.overdue:
            detail += " — " + self.tr("over the time allowed for this reason")
        self.agent.show_state(
            f"{state_text(status)} {duration_text(status.elapsed_s)}", level, detail
        )

    # -- the phone line --------------------------------------------------------------------

    @Slot(object)
    def show_line_status(self, line: LineStatus) -> None:
        self._show_registration(line)
        self._show_security(line)
        self._show_quality(line)

    def _show_registration(self, line: LineStatus) -> None:
        words = {
            PhoneState.NOT_CONFIGURED: (self.tr("not configured"), Level.UNKNOWN),
            PhoneState.STARTING: (self.tr("starting"), Level.BUSY),
            PhoneState.REGISTERING: (self.tr("registering"), Level.BUSY),
            PhoneState.REGISTERED: (self.tr("registered"), Level.OK),
            PhoneState.DIRECT: (self.tr("ready (direct calls)"), Level.OK),
            PhoneState.FAILED: (self.tr("registration failed"), Level.PROBLEM),
            PhoneState.UNREGISTERED: (self.tr("not registered"), Level.PROBLEM),
            PhoneState.ENGINE_DOWN: (self.tr("not running"), Level.PROBLEM),
        }
        word, level = words[line.phone]
        tips = {
            PhoneState.NOT_CONFIGURED: self.tr(
                "No phone account is set up on this workstation; IT sets it in the [sip] settings."
            ),
            PhoneState.REGISTERED: self.tr("Registered at {registrar}").format(
                registrar=line.registrar
            ),
            PhoneState.REGISTERING: self.tr("Registering at {registrar}").format(
                registrar=line.registrar
            ),
            PhoneState.FAILED: self.tr("The registrar refused or did not answer; retrying."),
            PhoneState.DIRECT: self.tr("No registrar: calls reach this workstation directly."),
            PhoneState.ENGINE_DOWN: self.tr("The phone process is not running."),
        }
        detail = tips.get(line.phone, "")
        if line.detail:
            detail = f"{detail} {self.tr('Reason:')} {line.detail}".strip()
        self.registration.show_state(word, level, detail)

    def _show_security(self, line: LineStatus) -> None:
        if line.phone is PhoneState.NOT_CONFIGURED:
            self.security.hide()
            return
        self.security.show()
        parts = [self.tr("TLS")] if line.tls else []
        if line.srtp:
            parts.append(self.tr("SRTP"))
        signalling = (
            self.tr("Call set-up is encrypted (TLS).")
            if line.tls
            else self.tr("Call set-up is not encrypted.")
        )
        if line.srtp is None:
            audio, level = self.tr("No call audio now."), Level.OK if line.tls else Level.UNKNOWN
        elif line.srtp:
            audio, level = self.tr("This call's audio is encrypted (SRTP)."), Level.OK
            if not line.tls:
                level = Level.BUSY
        else:
            audio, level = self.tr("This call's audio is NOT encrypted."), Level.PROBLEM
        word = " + ".join(parts) if parts else self.tr("none")
        self.security.show_state(word, level, f"{signalling} {audio}")

    def _show_quality(self, line: LineStatus) -> None:
        if line.audio is AudioQuality.NO_CALL:
            self.quality.hide()
            return
        self.quality.show()
        silent = duration_text(line.silent_s)
        words = {
            AudioQuality.STARTING: (self.tr("connecting"), Level.BUSY, ""),
            AudioQuality.GOOD: (self.tr("flowing"), Level.OK, line.codec),
            AudioQuality.ON_HOLD: (self.tr("on hold"), Level.BUSY, ""),
            AudioQuality.NO_INCOMING: (
                self.tr("no sound from the caller"),
                Level.PROBLEM,
                self.tr("Nothing has arrived from the other side for {time}.").format(time=silent),
            ),
            AudioQuality.NO_OUTGOING: (
                self.tr("not sending"),
                Level.PROBLEM,
                self.tr("Nothing has been sent to the other side for {time}.").format(time=silent),
            ),
            AudioQuality.STALLED: (
                self.tr("stalled"),
                Level.PROBLEM,
                self.tr("No audio in either direction for {time}.").format(time=silent),
            ),
        }
        word, level, detail = words[line.audio]
        self.quality.show_state(word, level, detail)

    # -- sync ------------------------------------------------------------------------------

    @Slot(object)
    def show_sync_status(self, status: SyncStatus) -> None:
        """Paint the connection and sync indicators (a queued slot: runs on the GUI thread)."""
        word, detail = status.connection_text()
        level = {
            Connection.ONLINE: Level.OK,
            Connection.OFFLINE: Level.PROBLEM,
            Connection.SIGNED_OUT: Level.BUSY,
            Connection.REVOKED: Level.PROBLEM,
            Connection.UNKNOWN: Level.UNKNOWN,
        }[status.connection]
        self.connection.show_state(word, level, detail)
        word, detail = status.sync_text()
        if status.parked:
            level = Level.PROBLEM
        elif status.syncing or status.queued:
            level = Level.BUSY
        elif status.last_success is not None:
            level = Level.OK
        else:
            level = Level.UNKNOWN
        self.sync.show_state(word, level, detail)
