"""The softphone in the call panel: number field, the current call, its controls, the history.

Every control is a window-wide action with its key (:mod:`shortcuts`), so the whole call
flow works from the keyboard. The panel shows the session's calls and sends its intents;
which call a control acts on is the session's answer (:attr:`AgentSession.offered_call`
for Answer and Decline, :attr:`AgentSession.focus` for the rest, the consultation for a
warm transfer or a merge).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QTabWidget,
    QToolButton,
    QWidget,
)

from agent_app.views import shortcuts
from agent_app.views.call_history import CallHistory, duration_text, shown_number
from agent_app.views.desk_phone import DeskPhone
from agent_app.views.forms import child, load_form
from agent_app.views.icons import IconName, icon
from agent_app.views.transfer_dialog import (
    DirectoryEntry,
    TransferChoice,
    TransferDialog,
    TransferMode,
)
from agent_app.workflow.call_session import CallPhase, CallSession, Direction, TransferState
from agent_app.workflow.dial_string import DialProblem, InvalidDialString, dial_target
from agent_app.workflow.events import CallAdded, CallChanged, CallFinished, WorkflowEvent
from agent_app.workflow.line_status import LineStatus, PhoneState

log = logging.getLogger(__name__)

CALL_ACTIONS = (
    "answer",
    "decline",
    "hangup",
    "hold",
    "mute",
    "transfer",
    "conference",
    "keypad",
    "dial_focus",
    "redial",
    "history",
)
KEYS = {
    "1": "key_1",
    "2": "key_2",
    "3": "key_3",
    "4": "key_4",
    "5": "key_5",
    "6": "key_6",
    "7": "key_7",
    "8": "key_8",
    "9": "key_9",
    "0": "key_0",
    "*": "key_star",
    "#": "key_hash",
}
DirectorySource = Callable[[], Sequence[DirectoryEntry]]
NOTICE_S = 20.0


class SoftphonePanel(QWidget):
    problem = Signal(str)
    """A message for the agent (a number that cannot be dialled, a refused action)."""

    def __init__(
        self,
        phone: DeskPhone,
        window: QWidget,
        *,
        region: str = "US",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("softphonePanel")
        self.phone = phone
        self.session = phone.session
        self._region = region
        self._directory: DirectorySource = lambda: ()
        self._last_dialled = ""
        self._locked = False
        self._tones: tuple[str, str] = ("", "")
        """The call the agent sent tones into, and the tones (shown on its card)."""
        self._line: LineStatus | None = None
        self._shown: dict[str, object] = {}
        """What some controls show now, to leave them alone when it stays the same."""
        self.transfer_dialog: TransferDialog | None = None

        form = load_form("softphone_panel.ui", self)
        self.number = child(form, QLineEdit, "numberField")
        self.number_hint = child(form, QLabel, "numberHint")
        self.notice = child(form, QLabel, "noticeLabel")
        self.notice.hide()
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.timeout.connect(self.notice.hide)
        self.card = child(form, QFrame, "callCard")
        self.call_icon = child(form, QLabel, "callIcon")
        self.caller = child(form, QLabel, "callerLabel")
        self.call_state = child(form, QLabel, "callStateLabel")
        self.call_timer = child(form, QLabel, "callTimer")
        self.call_detail = child(form, QLabel, "callDetail")
        self.answer_row = child(form, QWidget, "answerRowHost")
        self._keep_room()
        self.waiting = child(form, QFrame, "waitingBanner")
        self.waiting_label = child(form, QLabel, "waitingLabel")
        self.consult_bar = child(form, QFrame, "consultBar")
        self.consult_label = child(form, QLabel, "consultLabel")
        self.keypad = child(form, QWidget, "keypad")
        self.other_calls = child(form, QListWidget, "otherCalls")
        self.other_calls_label = child(form, QLabel, "otherCallsLabel")
        self.history_tabs = child(form, QTabWidget, "historyTabs")
        self.history_tabs.tabBar().setAccessibleName(self.tr("Call history: this shift or missed"))
        self.buttons: dict[str, QPushButton | QToolButton] = {
            "dial": child(form, QPushButton, "dialButton"),
            "redial": child(form, QToolButton, "redialButton"),
            "answer": child(form, QPushButton, "answerButton"),
            "decline": child(form, QPushButton, "declineButton"),
            "hold": child(form, QPushButton, "holdButton"),
            "mute": child(form, QPushButton, "muteButton"),
            "keypad": child(form, QPushButton, "keypadButton"),
            "transfer": child(form, QPushButton, "transferButton"),
            "conference": child(form, QPushButton, "conferenceButton"),
            "hangup": child(form, QPushButton, "hangupButton"),
            "complete_transfer": child(form, QPushButton, "completeTransferButton"),
            "merge": child(form, QPushButton, "mergeButton"),
        }
        self.keys = {digit: child(form, QToolButton, name) for digit, name in KEYS.items()}
        self.history = CallHistory(
            child(form, QListWidget, "historyList"),
            child(form, QListWidget, "missedList"),
            self.history_tabs,
            self.call_back,
            self,
        )
        self.actions_by_name: dict[str, QAction] = {
            name: shortcuts.bind(window, name) for name in CALL_ACTIONS
        }
        self._wire()
        phone.workflow_event.connect(self._on_event)
        phone.ticked.connect(lambda _status: self.refresh())
        phone.line_changed.connect(self._on_line)
        self.keypad.hide()
        self.refresh()

    # -- wiring ----------------------------------------------------------------------------

    def _keep_room(self) -> None:
        """Room kept for what a ringing call adds: the controls below never move when a call
        rings (under the agent's pointer), and the window is not laid out again for it."""
        policy = self.answer_row.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.answer_row.setSizePolicy(policy)
        self.call_detail.setMinimumHeight(self.call_detail.fontMetrics().lineSpacing())

    def _wire(self) -> None:
        icons: dict[str, IconName] = {
            "dial": "answer",
            "redial": "resume",
            "answer": "answer",
            "decline": "decline",
            "hold": "hold",
            "mute": "mute",
            "keypad": "dialpad",
            "transfer": "transfer",
            "conference": "conference",
            "hangup": "hang-up",
            "complete_transfer": "transfer",
            "merge": "conference",
        }
        for name, button in self.buttons.items():
            button.setIcon(icon(icons[name]))
        tips = {
            "dial": "dial",
            "complete_transfer": "transfer",
            "merge": "conference",
        }
        for name, button in self.buttons.items():
            action_name = tips.get(name, name)
            button.setToolTip(shortcuts.tooltip(action_name, button.accessibleName()))
        for name, action in self.actions_by_name.items():
            if name in self.buttons:
                self.buttons[name].clicked.connect(action.trigger)
        self.buttons["dial"].clicked.connect(self.dial_typed)
        self.buttons["complete_transfer"].clicked.connect(self.actions_by_name["transfer"].trigger)
        self.buttons["merge"].clicked.connect(self.actions_by_name["conference"].trigger)
        self.number.returnPressed.connect(self.dial_typed)
        self.number.textEdited.connect(self._preview)
        self.number.setToolTip(shortcuts.tooltip("dial", self.number.accessibleName()))
        triggers: dict[str, Callable[[], None]] = {
            "answer": self.answer,
            "decline": self.decline,
            "hangup": self.hangup,
            "hold": self.hold_or_resume,
            "mute": self.toggle_mute,
            "transfer": self.transfer,
            "conference": self.conference,
            "keypad": self.toggle_keypad,
            "dial_focus": self.focus_number,
            "redial": self.redial,
            "history": self.focus_history,
        }
        for name, slot in triggers.items():
            self.actions_by_name[name].triggered.connect(slot)
        self.other_calls.itemActivated.connect(self._take_other_call)
        for digit, button in self.keys.items():
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.setAccessibleName(self.tr("Send tone {digit}").format(digit=digit))
            button.setToolTip(self.tr("Send tone {digit} ({digit})").format(digit=digit))
            button.clicked.connect(lambda _checked=False, d=digit: self.send_tone(d))

    def _take_other_call(self, item: QListWidgetItem) -> None:
        """Enter on another call: resume it if held (answer it if ringing)."""
        call = self.session.call(str(item.data(Qt.ItemDataRole.UserRole)))
        if call is None or self._locked:
            return
        if call.phase is CallPhase.HELD:
            self.session.resume(call.call_id)
        elif call.phase is CallPhase.RINGING:
            self.session.answer(call.call_id)

    # -- the agent's hooks for other parts -------------------------------------------------

    def set_dial_region(self, region: str) -> None:
        """Region of national numbers typed or pasted (the campaign's, once one is chosen)."""
        self._region = region.upper()

    def set_directory_source(self, source: DirectorySource) -> None:
        """Where the transfer dialog's directory comes from (read when the dialog opens)."""
        self._directory = source

    def show_notice(self, message: str, seconds: float = NOTICE_S) -> None:
        """Something the agent must read (the phone restarted, a transfer failed)."""
        self.notice.setText(message)
        self.notice.show()
        self._notice_timer.start(int(seconds * 1000))

    def set_locked(self, locked: bool) -> None:
        self._locked = locked
        self.refresh()
        if not locked and self.session.offered_call is not None:
            self.buttons["answer"].setFocus()

    # -- intents ---------------------------------------------------------------------------

    @Slot()
    def answer(self) -> None:
        call = self.session.offered_call
        if call is not None:
            self.session.answer(call.call_id)

    @Slot()
    def decline(self) -> None:
        call = self.session.offered_call
        if call is not None:
            self.session.decline(call.call_id)

    @Slot()
    def hangup(self) -> None:
        if self.session.conference:
            self.session.leave_conference()
            return
        call = self.session.focus
        if call is not None:
            self.session.hangup(call.call_id)

    @Slot()
    def hold_or_resume(self) -> None:
        call = self.session.focus
        if call is None:
            return
        if call.phase is CallPhase.HELD:
            self.session.resume(call.call_id)
        else:
            self.session.hold(call.call_id)

    @Slot()
    def toggle_mute(self) -> None:
        call = self.session.focus
        if call is not None:
            self.session.mute(call.call_id, not call.muted)
        self.refresh()

    @Slot()
    def transfer(self) -> None:
        consultation = self.session.consultation
        if consultation is not None:
            about, consult = consultation
            self.session.attended_transfer(about.call_id, consult.call_id)
            return
        self._open_transfer(TransferMode.BLIND)

    @Slot()
    def conference(self) -> None:
        consultation = self.session.consultation
        if consultation is not None:
            about, consult = consultation
            self.session.merge(about.call_id, consult.call_id)
            return
        self._open_transfer(TransferMode.CONFERENCE)

    def _open_transfer(self, mode: TransferMode) -> None:
        call = self.session.focus
        if call is None or call.phase not in (CallPhase.TALKING, CallPhase.HELD):
            return
        try:
            entries = list(self._directory())
        except Exception:  # a directory that cannot be read still leaves typing a number
            log.exception("the transfer directory could not be read")
            entries = []
        dialog = TransferDialog(entries, region=self._region, mode=mode, parent=self.window())
        self.transfer_dialog = dialog
        record_id = call.record_id
        dialog.accepted.connect(lambda: self._transfer_chosen(record_id, dialog.choice))
        dialog.finished.connect(lambda _code: self._transfer_closed(dialog))
        dialog.open()

    def _transfer_chosen(self, record_id: str, choice: TransferChoice | None) -> None:
        call = next((c for c in self.session.calls if c.record_id == record_id), None)
        if choice is None or call is None:
            return
        if choice.mode is TransferMode.BLIND:
            self.session.blind_transfer(call.call_id, choice.target)
        else:
            self.session.dial(choice.target, consult_for=call.call_id)
        self.refresh()

    def _transfer_closed(self, dialog: TransferDialog) -> None:
        if self.transfer_dialog is dialog:
            self.transfer_dialog = None
        dialog.deleteLater()
        # The keys must reach the window again at once (not every platform hands it back).
        self.window().activateWindow()

    @Slot()
    def dial_typed(self) -> None:
        if self.dial(self.number.text()):
            self.number.clear()

    def dial(self, text: str) -> bool:
        """Dial what the agent typed or pasted; False (and a hint) when it cannot be dialled."""
        try:
            target = dial_target(text, self._region)
        except InvalidDialString as exc:
            self._hint(
                self.tr("Type or paste a number to call.")
                if exc.problem is DialProblem.EMPTY
                else self.tr("This is not a number that can be called."),
                problem=True,
            )
            return False
        call = self.session.dial(target)
        if call is None:
            return False
        self._last_dialled = target
        self._hint("")
        return True

    @Slot()
    def redial(self) -> None:
        if self._last_dialled:
            self.dial(self._last_dialled)

    def call_back(self, number: str) -> None:
        """A history entry was chosen: its number goes to the field, ready to dial."""
        self.number.setText(number)
        self.focus_number()
        self._preview(number)

    def send_tone(self, digit: str) -> bool:
        call = self.session.focus
        if call is None or call.phase is not CallPhase.TALKING or self._locked:
            return False
        if not self.session.send_dtmf(call.call_id, digit):
            return False
        sent = self._tones[1] if self._tones[0] == call.call_id else ""
        self._tones = (call.call_id, (sent + digit)[-24:])
        self.refresh()
        return True

    @Slot()
    def toggle_keypad(self) -> None:
        shown = not self.keypad.isVisible()
        self.keypad.setVisible(shown)
        self.buttons["keypad"].setChecked(shown)
        if shown:
            self.keys["1"].setFocus()

    @Slot()
    def focus_number(self) -> None:
        self.number.setFocus()
        self.number.selectAll()

    @Slot()
    def focus_history(self) -> None:
        self.history_tabs.setCurrentIndex(0)
        self.history.history.setFocus()
        if self.history.history.currentRow() < 0 and self.history.history.count():
            self.history.history.setCurrentRow(0)

    # -- showing ---------------------------------------------------------------------------

    @Slot(object)
    def _on_event(self, event: WorkflowEvent) -> None:
        if isinstance(event, CallFinished):
            self.history.add(event.call)
            self.history.show_missed(self.session.missed)
        # Only the calls are shown here (the agent's state is the state bar's): a ringing
        # call's card paints sooner when this panel is not redone for the state change too.
        if isinstance(event, CallAdded | CallChanged | CallFinished):
            self.refresh()

    @Slot(object)
    def _on_line(self, line: LineStatus) -> None:
        if line != self._line:
            self._line = line
            self.refresh()

    def _preview(self, text: str) -> None:
        if not text.strip():
            self._hint("")
            return
        try:
            target = dial_target(text, self._region)
        except InvalidDialString:
            self._hint("")
            return
        if target != text.strip():
            self._hint(self.tr("Calls {target}").format(target=target))
        else:
            self._hint("")

    def _hint(self, text: str, *, problem: bool = False) -> None:
        self.number_hint.setText(text)
        self.number_hint.setVisible(bool(text))
        self.number_hint.setProperty("problem", problem)
        self.number_hint.style().unpolish(self.number_hint)
        self.number_hint.style().polish(self.number_hint)
        if problem and text:
            self.problem.emit(text)

    def _enable(self, name: str, enabled: bool) -> None:
        if name in self.actions_by_name:
            self.actions_by_name[name].setEnabled(enabled)
        if name in self.buttons:
            self.buttons[name].setEnabled(enabled)

    def _toggle(
        self, name: str, on: bool, when_on: tuple[str, IconName], when_off: tuple[str, IconName]
    ) -> None:
        """A two-way button's text and icon, set only when they change (a new icon makes the
        whole panel lay out again)."""
        button = self.buttons[name]
        if self._shown.get(name) == on:
            return
        text, name_of_icon = when_on if on else when_off
        self._shown[name] = on
        button.setText(text)
        button.setIcon(icon(name_of_icon))

    def refresh(self) -> None:
        s = self.session
        focus, offered, consultation = s.focus, s.offered_call, s.consultation
        free = not self._locked
        self._show_card(focus)
        waiting = offered is not None and offered is not focus
        self.waiting.setVisible(waiting)
        if waiting and offered is not None:
            self.waiting_label.setText(
                self.tr("Call waiting: {number}. Answer puts the current call on hold.").format(
                    number=shown_number(offered.number) or self.tr("Unknown number")
                )
            )
        ringing = offered is not None
        # One widget for both buttons: each widget shown lays the whole window out at once.
        self.answer_row.setVisible(ringing)
        self._enable("answer", ringing and free)
        self._enable("decline", ringing and free)
        connected = focus is not None and focus.phase in (CallPhase.TALKING, CallPhase.HELD)
        talking = focus is not None and focus.phase is CallPhase.TALKING
        self._enable("hangup", focus is not None and not focus.hangup_requested and free)
        self._enable("hold", connected and free)
        held = focus is not None and focus.phase is CallPhase.HELD
        self._toggle("hold", held, (self.tr("Resume"), "resume"), (self.tr("Hold"), "hold"))
        self._enable("mute", connected and free)
        muted = focus is not None and focus.muted
        self.buttons["mute"].setChecked(muted)
        self._toggle("mute", muted, (self.tr("Unmute"), "unmute"), (self.tr("Mute"), "mute"))
        can_pass = connected and focus is not None and focus.answered and free
        in_conference = bool(s.conference)
        self._enable("transfer", (can_pass and not in_conference) or consultation is not None)
        self._enable("conference", (can_pass and not in_conference) or consultation is not None)
        self._enable("keypad", free)
        self._enable("dial_focus", free)
        self._enable("history", free)
        for button in self.keys.values():
            button.setEnabled(talking and free)
        line_ready = self._line is None or self._line.ready
        self._enable("dial", line_ready and free)
        self._enable("redial", line_ready and bool(self._last_dialled) and free)
        self.number.setEnabled(free)
        self.consult_bar.setVisible(consultation is not None)
        if consultation is not None:
            about, consult = consultation
            self.consult_label.setText(
                self.tr(
                    "Consulting {target} ({state}); {caller} waits on hold. Complete the "
                    "transfer, merge everyone into a conference, or hang up to go back."
                ).format(
                    target=shown_number(consult.number),
                    state=self._phase_text(consult),
                    caller=shown_number(about.number) or self.tr("the caller"),
                )
            )
            consult_up = consult.phase is CallPhase.TALKING and free
            self.buttons["complete_transfer"].setEnabled(consult_up)
            self.buttons["merge"].setEnabled(consult_up and about.answered)
        self._show_other_calls(focus, offered if waiting else None)

    def _show_card(self, call: CallSession | None) -> None:
        ringing = call is not None and call.phase is CallPhase.RINGING
        if self.card.property("ringing") != ringing:
            self.card.setProperty("ringing", ringing)
            self.card.style().unpolish(self.card)
            self.card.style().polish(self.card)
        if call is None:
            self.call_icon.clear()
            self._shown["call_icon"] = None
            self.caller.setText(self.tr("No call"))
            self.call_state.setText(self._idle_text())
            self.call_timer.setText("")
            self.call_detail.setText("")
            self.card.setAccessibleDescription(self.tr("No call"))
            return
        phase_icon = self._phase_icon(call)
        if self._shown.get("call_icon") != phase_icon:
            self._shown["call_icon"] = phase_icon
            self.call_icon.setPixmap(icon(phase_icon).pixmap(32, 32))
        self._show_caller(call.number or self.tr("Unknown number"))
        members = len(self.session.conference)
        state = self._phase_text(call)
        if members and call.call_id in {c.call_id for c in self.session.conference}:
            state = self.tr("Conference of {count} and you").format(count=members)
        self.call_state.setText(state)
        shown = call.talk_time() if call.answered else call.time_in_phase()
        self.call_timer.setText(duration_text(shown))
        # Emptied, not hidden: a widget shown lays the whole window out at once, new text
        # waits for the one layout pass before the paint.
        self.call_detail.setText(self._detail(call))
        self.card.setAccessibleDescription(
            f"{self.caller.toolTip()}, {state}, {self.call_timer.text()}"
        )

    def _idle_text(self) -> str:
        line = self._line
        if line is None or line.ready:
            return self.tr("Calls ring here")
        return {
            PhoneState.NOT_CONFIGURED: self.tr("No phone is set up on this workstation"),
            PhoneState.STARTING: self.tr("The phone is starting…"),
            PhoneState.REGISTERING: self.tr("The phone is connecting…"),
        }.get(line.phone, self.tr("The phone is not ready for calls"))

    def _show_caller(self, number: str) -> None:
        """The number in full when it fits, else shortened in the middle (full in the tooltip)."""
        room = self.card.width() - self.call_icon.width() - self.call_timer.sizeHint().width()
        width = max(120, room - 48)
        shown = self.caller.fontMetrics().elidedText(
            shown_number(number), Qt.TextElideMode.ElideMiddle, width
        )
        self.caller.setText(shown)
        self.caller.setToolTip(number)
        self.caller.setAccessibleDescription(number)

    def _phase_text(self, call: CallSession) -> str:
        if call.phase is CallPhase.RINGING:
            if call.declining_at is not None:
                return self.tr("Incoming call — you are not available; it will be declined")
            if call.auto_answer_at is not None:
                return self.tr("Incoming call — answering automatically")
            return self.tr("Incoming call — ringing")
        words = {
            CallPhase.DIALING: self.tr("Calling…"),
            CallPhase.ANSWERING: self.tr("Connecting…"),
            CallPhase.TALKING: self.tr("Talking"),
            CallPhase.HELD: self.tr("On hold"),
            CallPhase.ENDED: self.tr("Ended"),
        }
        text = words[call.phase]
        if call.phase is CallPhase.TALKING and call in self.session.conference:
            text = self.tr("In the conference")
        if call.phase is CallPhase.TALKING and call.muted:
            text = self.tr("Talking — muted")
        return text

    @staticmethod
    def _phase_icon(call: CallSession) -> IconName:
        if call.phase is CallPhase.RINGING:
            return "ringing"
        if call.phase is CallPhase.HELD:
            return "hold"
        if call.phase is CallPhase.DIALING:
            return "dialpad"
        return "on-call"

    def _detail(self, call: CallSession) -> str:
        parts: list[str] = []
        direction = (
            self.tr("Outgoing call")
            if call.direction is Direction.OUTBOUND
            else self.tr("Incoming")
        )
        parts.append(direction)
        if call.transfer is TransferState.IN_PROGRESS:
            parts.append(self.tr("transferring…"))
        elif call.transfer is TransferState.FAILED:
            parts.append(self.tr("the transfer failed; the caller is still with you"))
        if call.media_lost:
            parts.append(self.tr("no audio — the line may be down"))
        if call.hold_failed:
            parts.append(self.tr("hold did not work: your microphone is off for this caller"))
        line = self._line
        if line is not None and call.answered and line.srtp is not None:
            parts.append(self.tr("encrypted") if line.srtp else self.tr("not encrypted"))
        tones_call, tones = self._tones
        if tones and tones_call == call.call_id and call.phase is CallPhase.TALKING:
            parts.append(self.tr("tones sent: {digits}").format(digits=tones))
        return " · ".join(parts)

    def _show_other_calls(self, focus: CallSession | None, waiting: CallSession | None) -> None:
        others = [c for c in self.session.calls if c is not focus and c is not waiting]
        texts = [
            f"{shown_number(c.number) or self.tr('Unknown number')}  ·  {self._phase_text(c)}  ·  "
            f"{duration_text(c.talk_time() if c.answered else c.time_in_phase())}"
            for c in others
        ]
        current = [self.other_calls.item(i).text() for i in range(self.other_calls.count())]
        if texts != current:
            row = self.other_calls.currentRow()
            self.other_calls.clear()
            for call, text in zip(others, texts, strict=True):
                item = QListWidgetItem(icon(self._phase_icon(call)), text)
                item.setData(Qt.ItemDataRole.UserRole, call.call_id)
                self.other_calls.addItem(item)
            if 0 <= row < self.other_calls.count():
                self.other_calls.setCurrentRow(row)
        self.other_calls.setVisible(bool(others))
        self.other_calls_label.setVisible(bool(others))
