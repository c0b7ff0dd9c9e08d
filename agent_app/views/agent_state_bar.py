"""The agent's availability: the state with its timer, Ready (F9) and Not ready with a reason (F10).

The state shown is the session's (derived from the calls and the agent's choice); the
bar only sends the choice. The reason menu opens from F10 and is walked with the arrow
keys; a reason's limit shows next to it and an overdue timer turns red. In after-call
work the timer counts down what is left of it; when the session refuses Ready because a
disposition is owed, the bar says so until the wrap-up is done.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QPoint, Slot
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QFrame, QLabel, QMenu, QPushButton, QToolButton, QWidget

from agent_app.views import shortcuts
from agent_app.views.call_history import duration_text
from agent_app.views.forms import child, load_form
from agent_app.views.icons import StateIcon, icon
from agent_app.views.styling import fit_text
from agent_app.workflow.agent_session import SIGNED_IN, AgentSession
from agent_app.workflow.agent_state import AgentState, AgentStatus, NotReadyReason
from agent_app.workflow.desk_settings import DISPOSITION_PENDING
from agent_app.workflow.events import AgentStateChanged, WorkflowEvent

_CONTEXT = "AgentState"
_WORDS = {
    AgentState.READY: "Ready",
    AgentState.NOT_READY: "Not ready",
    AgentState.RINGING: "Ringing",
    AgentState.ON_CALL: "On a call",
    AgentState.WRAP_UP: "After-call work",
    AgentState.OFFLINE: "Offline",
}
_ICONS: dict[AgentState, StateIcon] = {
    AgentState.READY: "ready",
    AgentState.NOT_READY: "not-ready",
    AgentState.RINGING: "ringing",
    AgentState.ON_CALL: "on-call",
    AgentState.WRAP_UP: "wrap-up",
    AgentState.OFFLINE: "offline",
}


def state_word(state: AgentState) -> str:
    return QCoreApplication.translate(_CONTEXT, _WORDS[state])


def reason_label(reason: NotReadyReason) -> str:
    """A reason's label, translated when it is one of ours (the server's come translated)."""
    return QCoreApplication.translate("NotReadyReason", reason.label)


def state_text(status: AgentStatus) -> str:
    """``Not ready (Break)`` / ``Ready``: the state with its reason (none for the shift's
    start, which is no reason the agent chose)."""
    word = state_word(status.state)
    if status.reason is not None and status.reason.code == DISPOSITION_PENDING.code:
        return f"{word} — {reason_label(status.reason)}"
    if status.reason is not None and status.reason.code != SIGNED_IN.code:
        return f"{word} ({reason_label(status.reason)})"
    return word


def _submit_keys() -> str:
    return shortcuts.keys("submit_disposition").toString(QKeySequence.SequenceFormat.NativeText)


def state_icon(state: AgentState) -> StateIcon:
    return _ICONS[state]


class AgentStateBar(QWidget):
    def __init__(self, session: AgentSession, window: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("agentStateBar")
        form = load_form("agent_state_bar.ui", self)
        self.session = session
        self.chip = child(form, QFrame, "stateChip")
        self.icon = child(form, QLabel, "stateIcon")
        self.label = child(form, QLabel, "stateLabel")
        self.timer = child(form, QLabel, "stateTimer")
        self.note = child(form, QLabel, "stateNote")
        self.ready_button = child(form, QPushButton, "readyButton")
        self.not_ready_button = child(form, QToolButton, "notReadyButton")
        self.ready_action = shortcuts.bind(window, "ready")
        self.not_ready_action = shortcuts.bind(window, "not_ready")
        self.ready_button.setIcon(icon("ready"))
        self.not_ready_button.setIcon(icon("not-ready"))
        self.ready_button.setToolTip(shortcuts.tooltip("ready"))
        self.not_ready_button.setToolTip(shortcuts.tooltip("not_ready"))
        self.ready_button.clicked.connect(self.ready_action.trigger)
        self.ready_action.triggered.connect(self._go_ready)
        self.not_ready_action.triggered.connect(self.open_reasons)
        self.menu = QMenu(self)
        self.menu.setObjectName("notReadyMenu")
        self.menu.setAccessibleName(self.tr("Not-ready reasons"))
        self.not_ready_button.setMenu(self.menu)
        self._locked = False
        self._refused = False
        """Ready was refused for an owed disposition: the note says why until it is done."""
        self._look: tuple[AgentState, bool] | None = None
        self._group = QActionGroup(self)
        self.reason_actions: dict[str, QAction] = {}
        self.set_reasons(session.reasons)
        self.show_status(session.status())

    # -- reasons ------------------------------------------------------------------------

    def set_reasons(self, reasons: Sequence[NotReadyReason]) -> None:
        """The reason menu (the store's list once the server sends one)."""
        self.menu.clear()
        self.reason_actions.clear()
        for reason in reasons:
            text = reason_label(reason)
            if reason.limit_s is not None:
                text = self.tr("{reason} (up to {minutes} min)").format(
                    reason=text, minutes=round(reason.limit_s / 60)
                )
            action = QAction(text, self.menu)
            action.setCheckable(True)
            action.setObjectName(f"reason_{reason.code}")
            action.triggered.connect(lambda _checked=False, code=reason.code: self._choose(code))
            self._group.addAction(action)
            self.menu.addAction(action)
            self.reason_actions[reason.code] = action
        self._mark_choice()

    @Slot()
    def open_reasons(self) -> None:
        """F10: the reason menu under its button, first reason highlighted."""
        if not self.not_ready_action.isEnabled():
            return
        where = self.not_ready_button.mapToGlobal(QPoint(0, self.not_ready_button.height()))
        first = next(iter(self.reason_actions.values()), None)
        self.menu.popup(where, first)
        if first is not None:
            self.menu.setActiveAction(first)

    def _choose(self, code: str) -> None:
        self.session.set_not_ready(code)
        self.show_status(self.session.status())

    @Slot()
    def _go_ready(self) -> None:
        # The session refuses Ready while a disposition is owed; the bar says why.
        self._refused = not self.session.go_ready() and bool(self.session.wrap_ups)
        self.show_status(self.session.status())

    def _mark_choice(self) -> None:
        chosen = self.session.availability
        for code, action in self.reason_actions.items():
            action.setChecked(chosen is not None and chosen.code == code)

    # -- showing --------------------------------------------------------------------------

    def on_event(self, event: WorkflowEvent) -> None:
        if isinstance(event, AgentStateChanged):
            self.show_status(self.session.status())

    def set_enabled(self, enabled: bool) -> None:
        self._locked = not enabled
        self.not_ready_button.setEnabled(enabled)
        self.not_ready_action.setEnabled(enabled)
        self.show_status(self.session.status())

    @Slot(object)
    def show_status(self, status: AgentStatus) -> None:
        """The state, its timer and note (once a second, and when the state changes)."""
        self.label.setText(state_text(status))
        if not self.session.wrap_ups:
            self._refused = False
        left = status.wrap_up_remaining_s if status.state is AgentState.WRAP_UP else None
        if left is not None:
            self.timer.setText(self.tr("{left} left").format(left=duration_text(left)))
            self.timer.setAccessibleName(self.tr("After-call work time left"))
        else:
            self.timer.setText(duration_text(status.elapsed_s))
            self.timer.setAccessibleName(self.tr("Time in this state"))
        look = (status.state, status.overdue)
        style = self.chip.style()
        if look != self._look:
            # Restyled only when the look changes: a restyle lays out the whole bar again.
            self._look = look
            self.icon.setPixmap(icon(state_icon(status.state)).pixmap(22, 22))
            self.chip.setProperty("state", status.state.value)
            self.chip.setProperty("overdue", status.overdue)
            style.unpolish(self.chip)
            style.polish(self.chip)
            for part in (self.label, self.timer):
                style.unpolish(part)
                style.polish(part)
        for part in (self.label, self.timer):
            # Sized for the text in the state's font now, not on the next layout pass (which
            # left "After-cal" cut for a second); a fixed size that only grows keeps the
            # timer's tick from laying out the window again.
            fit_text(part)
        self.chip.setAccessibleDescription(f"{self.label.text()} {self.timer.text()}")
        self.note.setText(self._note(status))
        if self.note.property("refused") != self._refused:
            self.note.setProperty("refused", self._refused)
            style.unpolish(self.note)
            style.polish(self.note)
        chosen = status.availability
        # Ready is offered while the agent is not Ready (F9 is harmless either way).
        self.ready_button.setEnabled(chosen is not None and not self._locked)
        self.ready_action.setEnabled(not self._locked)
        self._mark_choice()

    def _note(self, status: AgentStatus) -> str:  # noqa: PLR0911 - one line per case
        chosen = status.availability
        if self._refused:
            return self.tr(
                "Ready must wait: submit the disposition of the last call first ({keys})"
            ).format(keys=_submit_keys())
        if status.reason is not None and status.reason.code == DISPOSITION_PENDING.code:
            return self.tr("The after-call work ran out of time: submit the disposition")
        if status.overdue and status.reason is not None:
            return self.tr("Over the time for this reason")
        if status.state is AgentState.OFFLINE:
            return self.tr("The phone is not connected: no calls can reach you")
        if status.state is AgentState.NOT_READY and chosen is not None:
            if chosen.code == SIGNED_IN.code:
                return self.tr("Choose Ready (F9) to take calls")
            return self.tr("Calls are refused until you choose Ready (F9)")
        if status.state in (AgentState.ON_CALL, AgentState.WRAP_UP, AgentState.RINGING):
            if chosen is None:
                then = self.tr("then Ready")
            elif chosen.code == SIGNED_IN.code:
                then = self.tr("then Not ready")
            else:
                then = self.tr("then Not ready ({reason})").format(reason=reason_label(chosen))
            if status.state is AgentState.WRAP_UP:
                return self.tr("Submit the disposition ({keys}), {then}").format(
                    keys=_submit_keys(), then=then
                )
            if status.wrap_up_remaining_s is not None:
                return self.tr("{left} left for after-call work, {then}").format(
                    left=duration_text(status.wrap_up_remaining_s), then=then
                )
            return then[:1].upper() + then[1:]
        return ""
