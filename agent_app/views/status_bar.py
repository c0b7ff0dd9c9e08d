"""The main window's status bar: the agent's state, the phone line, the server and sync at a glance.

Each indicator is a label with a short word and a colour, plus a tooltip with the
detail, so that an agent can tell "offline since 14:02" from "registration failed"
without opening anything. The phone's indicators: registration (with the registrar's
reason in the tooltip), encryption (TLS signalling, SRTP audio of the current call),
and whether the call's audio flows (from the engine's packet counters).
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import QCoreApplication, QDateTime, QLocale, Slot
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from agent_app.sync.status import Connection, SyncStatus
from agent_app.views.agent_state_bar import state_text
from agent_app.views.call_history import duration_text
from agent_app.views.styling import set_level
from agent_app.workflow.agent_state import AgentState, AgentStatus
from agent_app.workflow.line_status import AudioQuality, LineStatus, PhoneState


class Level(Enum):
    """An indicator's level; its colour comes from the palette (styling.style_sheet)."""

    OK = "ok"
    BUSY = "busy"
    PROBLEM = "problem"
    UNKNOWN = "unknown"


class Indicator(QLabel):
    def __init__(self, name: str, parent: QWidget | None = None, caption: str = "") -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._caption = caption or name
        self.setAccessibleName(self._caption)
        self.setContentsMargins(6, 0, 6, 0)
        self.compact = False
        """Only the word, without the caption (the caption is then first in the tooltip):
        what a narrow window shows rather than cutting the last indicator."""
        self._word = ""
        self._detail = ""
        self.show_state(self.tr("not started"), Level.UNKNOWN, "")

    def show_state(self, word: str, level: Level, detail: str) -> None:
        self._word, self._detail = word, detail
        self._paint()
        set_level(self, level.value)
        self.setAccessibleDescription(f"{self._caption} {word}. {detail}")
        self.level = level

    def set_compact(self, compact: bool) -> None:
        if compact != self.compact:
            self.compact = compact
            self._paint()

    def full_width(self) -> int:
        """The width the indicator needs with its caption."""
        margins = self.contentsMargins()
        text = f"{self._caption}: {self._word}"
        return self.fontMetrics().horizontalAdvance(text) + margins.left() + margins.right() + 4

    def _paint(self) -> None:
        if self.compact:
            text = self._word
            tip = f"{self._caption}: {self._word}. {self._detail}".rstrip(". ") + "."
        else:
            text, tip = f"{self._caption}: {self._word}", self._detail
        # A new text may lay out the window again: only when it changes (the timers tick).
        if text != self.text():
            self.setText(text)
        if tip != self.toolTip():
            self.setToolTip(tip)


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

    # -- fitting ---------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _indicators(self) -> tuple[Indicator, ...]:
        return (
            self.agent,
            self.registration,
            self.security,
            self.quality,
            self.connection,
            self.sync,
        )

    def _fit(self) -> None:
        """Captions go when the indicators with captions would not fit the bar's width."""
        if not self.isVisible():
            return
        shown = [i for i in self._indicators() if not i.isHidden()]
        # Room for the size grip and the layout's spacing between permanent widgets.
        needed = sum(i.full_width() for i in shown) + 8 * len(shown) + 24
        compact = needed > self.width()
        for indicator in self._indicators():
            indicator.set_compact(compact)

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
        self._fit()

    # -- the phone line --------------------------------------------------------------------

    @Slot(object)
    def show_line_status(self, line: LineStatus) -> None:
        self._show_registration(line)
        self._show_security(line)
        self._show_quality(line)
        self._fit()

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
        word, detail = self._connection_text(status)
        level = {
            Connection.ONLINE: Level.OK,
            Connection.OFFLINE: Level.PROBLEM,
            Connection.SIGNED_OUT: Level.BUSY,
            Connection.REVOKED: Level.PROBLEM,
            Connection.UNKNOWN: Level.UNKNOWN,
        }[status.connection]
        self.connection.show_state(word, level, detail)
        word, detail = self._sync_text(status)
        if status.parked:
            level = Level.PROBLEM
        elif status.syncing or status.queued:
            level = Level.BUSY
        elif status.last_success is not None:
            level = Level.OK
        else:
            level = Level.UNKNOWN
        self.sync.show_state(word, level, detail)
        self._fit()

    # The sync layer's own texts (SyncStatus.connection_text) are for the CLI and the logs;
    # the window says the same in the desk's language.

    @staticmethod
    def _clock(moment: float | None) -> str:
        if moment is None:
            return QCoreApplication.translate("PulseStatusBar", "never")
        return QLocale().toString(QDateTime.fromSecsSinceEpoch(int(moment)).time(), "HH:mm")

    def _connection_text(self, status: SyncStatus) -> tuple[str, str]:
        if status.connection is Connection.OFFLINE:
            return self.tr("offline"), self.tr(
                "Offline since {time}. Pulse keeps working: patients and scripts come from "
                "this workstation, and your work is queued."
            ).format(time=self._clock(status.offline_since))
        if status.connection is Connection.ONLINE:
            return self.tr("online"), self.tr("Connected to the server.")
        if status.connection is Connection.SIGNED_OUT:
            return self.tr("sign in"), self.tr(
                "The server asks you to sign in again; your work stays queued."
            )
        if status.connection is Connection.REVOKED:
            return self.tr("revoked"), self.tr(
                "This workstation was revoked; the local cache was erased."
            )
        return self.tr("checking"), self.tr("Contacting the server.")

    def _sync_text(self, status: SyncStatus) -> tuple[str, str]:
        last = self.tr("Last successful sync: {time}.").format(
            time=self._clock(status.last_success)
        )
        parked = ""
        if status.parked:
            parked = " " + self.tr(
                "{count} item(s) were refused by the server and need a look."
            ).format(count=status.parked)
            if status.parked_reasons:
                # The server's reasons are codes, shown as given.
                parked += " (" + "; ".join(status.parked_reasons) + ")"
        if status.syncing:
            sending = self.tr("Sending {count} queued item(s).").format(count=status.queued)
            return self.tr("syncing"), f"{sending} {last}{parked}"
        if status.queued:
            waiting = self.tr("{count} item(s) wait for the server.").format(count=status.queued)
            return self.tr("{count} queued").format(
                count=status.queued
            ), f"{waiting} {last}{parked}"
        if status.parked:
            return self.tr("{count} refused").format(count=status.parked), last + parked
        if status.last_success is None:
            return self.tr("waiting"), self.tr("Nothing synced with the server yet.")
        return self.tr("up to date"), last
