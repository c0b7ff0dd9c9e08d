"""The agent's main window: availability, panel areas for call, patient, campaign, script and
disposition, the status bar, and the lock screen that covers them after inactivity.

Panels that the core does not drive yet are shown empty and disabled, never with
placeholder data. :meth:`MainWindow.attach_phone` puts the softphone in the call panel and
the availability bar on top and the disposition panel (after-call work) on the right;
:meth:`MainWindow.set_patient_panel` takes the patient card.
While the screen is locked no call control works; a call that rings shows as "Incoming
call" on the lock screen, and the inactivity lock never starts during a call or its
after-call work.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, Qt, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QGridLayout,
    QGroupBox,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from agent_app import __version__
from agent_app.sync.status import Connection, SyncStatus
from agent_app.telephony import protocol as p
from agent_app.views import shortcuts
from agent_app.views.agent_state_bar import AgentStateBar
from agent_app.views.desk_phone import DeskPhone
from agent_app.views.disposition_panel import DispositionPanel
from agent_app.views.forms import child, load_form
from agent_app.views.idle_watch import IdleWatch
from agent_app.views.lock_screen import LockScreen
from agent_app.views.login_dialog import Authenticate
from agent_app.views.queue_panel import QueuePanel
from agent_app.views.ring_alert import RingAlert
from agent_app.views.script_panel import ScriptPanel
from agent_app.views.shortcuts_sheet import ShortcutsSheet
from agent_app.views.softphone_panel import KEYS, SoftphonePanel
from agent_app.views.status_bar import PulseStatusBar
from agent_app.workflow.agent_state import NotReadyReason
from agent_app.workflow.events import AgentStateChanged, CallAdded, Problem, WorkflowEvent
from agent_app.workflow.idle_lock import IdleLock

log = logging.getLogger(__name__)

PANELS = ("callPanel", "patientPanel", "queuePanel", "scriptPanel", "dispositionPanel")
PROBLEM_MS = 10_000


def problem_text(problem: Problem) -> str:
    """The problem in the agent's language: a calling rule's sentence is translated, then filled."""
    if problem.template:
        try:
            text = QCoreApplication.translate("CallingRules", problem.template)
            end = "." if problem.message.endswith(".") else ""  # the sentence's own full stop
            return text.format(**dict(problem.params)) + end
        except (KeyError, IndexError, ValueError):
            return problem.message
    return QCoreApplication.translate("Workflow", problem.message)


class MainWindow(QMainWindow):
    def __init__(
        self,
        agent_id: str,
        display_name: str,
        *,
        idle_lock: IdleLock,
        authenticate: Authenticate,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.agent_name = display_name
        self.setWindowTitle(
            self.tr("Pulse {version} — {name}").format(version=__version__, name=display_name)
        )
        self._stack = QStackedWidget(self)
        self.work_area = QWidget(self._stack)
        self._form = load_form("main_window.ui", self.work_area)
        self.panels = {name: child(self._form, QGroupBox, name) for name in PANELS}
        self.agent_bar_host = child(self._form, QWidget, "agentBarHost")
        self.lock_screen = LockScreen(agent_id, authenticate, self._stack)
        self._stack.addWidget(self.work_area)
        self._stack.addWidget(self.lock_screen)
        self.setCentralWidget(self._stack)
        self.status = PulseStatusBar(self)
        self.setStatusBar(self.status)
        self.resize(1280, 800)

        self.phone: DeskPhone | None = None
        self.softphone: SoftphonePanel | None = None
        self.agent_bar: AgentStateBar | None = None
        self.disposition: DispositionPanel | None = None
        self.queue: QueuePanel | None = None
        self._queue_working = False
        self.ring_alert: RingAlert | None = None
        self.shortcuts_sheet: ShortcutsSheet | None = None
        self._closing_confirmed = False
        self.close_prompt: QMessageBox | None = None
        self.signing_out = False
        """The window closes to sign in again, not to quit (the app reads it)."""
        self._page: QWidget | None = None
        self._build_menus()

        self.idle_lock = idle_lock
        self._idle_watch = IdleWatch(idle_lock, self)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self._idle_watch)
        idle_lock.subscribe(self._show_locked)
        self.lock_screen.unlocked.connect(lambda _result: idle_lock.unlock())
        self._signed_out = False
        """The server's last word was that this session is over."""
        self._prompt_pending = False
        """A sign-in prompt is owed (held back while a call is on)."""

    # -- menus -----------------------------------------------------------------------------

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.pulse_menu = bar.addMenu(self.tr("&Pulse"))
        self.phone_menu = bar.addMenu(self.tr("P&hone"))
        self.status_menu = bar.addMenu(self.tr("&Status"))
        self.help_menu = bar.addMenu(self.tr("&Help"))
        self.phone_menu.setEnabled(False)
        self.status_menu.setEnabled(False)
        self.help_action = shortcuts.bind(self, "help_shortcuts")
        self.help_action.triggered.connect(self.show_shortcuts)
        self.help_menu.addAction(self.help_action)
        self.sign_out_action = shortcuts.bind(self, "sign_out")
        self.sign_out_action.triggered.connect(self.sign_out)
        self.pulse_menu.addAction(self.sign_out_action)

    @Slot()
    def sign_out(self) -> None:
        """Close the desk and go back to the sign-in window (a call up asks first)."""
        self.signing_out = True
        if not self.close() and self.close_prompt is None:
            self.signing_out = False

    def show_page(self, page: QWidget | None) -> None:
        """Cover the panels with ``page`` (why the desk cannot work); None uncovers them."""
        self._page = page
        if page is not None and self._stack.indexOf(page) < 0:
            self._stack.addWidget(page)
        if not self.is_locked:
            self._stack.setCurrentWidget(page or self.work_area)

    @Slot()
    def show_shortcuts(self) -> None:
        if self.shortcuts_sheet is None:
            self.shortcuts_sheet = ShortcutsSheet(self)
            # The keys must reach the window again at once (not every platform hands it back).
            self.shortcuts_sheet.finished.connect(lambda _code: self.activateWindow())
        self.shortcuts_sheet.open()

    # -- parts other areas plug in ---------------------------------------------------------

    def add_demo_menu(self, actions: Sequence[QAction]) -> QMenu:
        """The demo's menu (``make run`` only), before Help; its actions work window-wide."""
        menu = QMenu(self.tr("&Demo"), self)
        menu.setObjectName("demoMenu")
        self.menuBar().insertMenu(self.help_menu.menuAction(), menu)
        for action in actions:
            menu.addAction(action)
            self.addAction(action)
        return menu

    def set_patient_panel(self, widget: QWidget) -> None:
        """Put the patient card (search, picker, identity gate) into its panel and enable it."""
        self._host(self.panels["patientPanel"], widget)

    def set_script_panel(self, widget: QWidget) -> None:
        """Put the call script into its panel and enable it; a patient the campaign's queue
        previews shows their script there before the call, and the wrap-up hears of each
        step (a recording consent it waits for)."""
        self._host(self.panels["scriptPanel"], widget)
        if self.queue is not None and isinstance(widget, ScriptPanel):
            self.queue.previewing.connect(widget.show_preview)
            widget.show_preview(*self.queue.previewed)
        if self.disposition is not None and isinstance(widget, ScriptPanel):
            # An answer at the disclosure step may be what the wrap-up waits for.
            widget.stepped.connect(self.disposition.recheck)

    def attach_phone(
        self, phone: DeskPhone, *, region: str = "US", tray: QSystemTrayIcon | None = None
    ) -> SoftphonePanel:
        """The softphone in the call panel, availability on top, the line in the status bar."""
        self.phone = phone
        self.softphone = SoftphonePanel(phone, self, region=region)
        self._host(self.panels["callPanel"], self.softphone)
        self.disposition = DispositionPanel(phone.session, self)
        self._host(self.panels["dispositionPanel"], self.disposition)
        self.queue = QueuePanel(phone.session, self)
        self._host(self.panels["queuePanel"], self.queue)
        self.queue.working.connect(self._on_queue_working)
        self.agent_bar = AgentStateBar(phone.session, self)
        layout = QVBoxLayout(self.agent_bar_host)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.agent_bar)
        self.ring_alert = RingAlert(self, tray)
        for name, action in self.softphone.actions_by_name.items():
            if name != "history":
                self.phone_menu.addAction(action)
        self.phone_menu.addAction(self.softphone.actions_by_name["history"])
        self.status_menu.addAction(self.agent_bar.ready_action)
        self.status_menu.addAction(self.agent_bar.not_ready_action)
        self.phone_menu.setEnabled(True)
        self.status_menu.setEnabled(True)
        phone.workflow_event.connect(self._on_workflow_event)
        phone.engine_event.connect(self._on_engine_event)
        phone.ticked.connect(self._on_tick)
        phone.ticked.connect(self.status.show_agent_status)
        phone.ticked.connect(self.agent_bar.show_status)
        phone.line_changed.connect(self.status.show_line_status)
        self.softphone.problem.connect(lambda message: self.status.showMessage(message, PROBLEM_MS))
        self.status.show_agent_status(phone.session.status())
        self.status.show_line_status(phone.line_status())
        self._fit_middle_column()
        return self.softphone

    def set_not_ready_reasons(self, reasons: Sequence[NotReadyReason]) -> None:
        """New reason codes (the server's, after a sync): the session and the menu take them."""
        if self.phone is None or self.agent_bar is None:
            return
        self.phone.session.set_reasons(reasons)
        self.agent_bar.set_reasons(self.phone.session.reasons)

    @staticmethod
    def _host(panel: QGroupBox, widget: QWidget) -> None:
        layout = panel.layout()
        if layout is None:
            layout = QVBoxLayout(panel)
            layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(widget)
        panel.setEnabled(True)

    # -- what the phone says ---------------------------------------------------------------

    @Slot(object)
    def _on_workflow_event(self, event: WorkflowEvent) -> None:
        phone = self.phone
        if phone is None:
            return
        if self.agent_bar is not None:
            self.agent_bar.on_event(event)
        if isinstance(event, AgentStateChanged):
            self.status.show_agent_status(phone.session.status())
        if isinstance(event, CallAdded) and event.call.offered and self.ring_alert is not None:
            self.ring_alert.ring(event.call, locked=self.is_locked)
        elif isinstance(event, Problem):
            self.show_problem(problem_text(event))
        self._follow_calls()

    @Slot(object)
    def _on_engine_event(self, event: p.Event) -> None:
        if isinstance(event, p.EngineRestarted):
            self.show_problem(
                self.tr(
                    "The phone stopped and was restarted; a call in progress was lost. Its "
                    "after-call work is kept."
                )
            )
        elif isinstance(event, p.CommandFailed) and event.command == "engine":
            self.show_problem(self.tr("The phone stopped working and could not be restarted."))
        elif isinstance(event, p.AudioDeviceChanged) and event.change == "fallback":
            self.show_problem(
                self.tr("The headset is gone; the call continues on {device}.").format(
                    device=event.device_name
                )
            )

    @Slot(object)
    def _on_tick(self, _status: object) -> None:
        self._follow_calls()

    @Slot(bool)
    def _on_queue_working(self, working: bool) -> None:
        self._queue_working = working
        self._fit_middle_column()

    def _fit_middle_column(self) -> None:
        """A campaign at work gets the middle row's share of the column between calls; during
        a call, or with no campaign, the patient's card and the script have it and the
        campaign panel keeps one line."""
        grid = self._form.findChild(QGridLayout, "grid")
        if grid is None:
            return
        in_call = self.phone is not None and bool(self.phone.session.calls)
        working = self._queue_working and not in_call
        stretch = 8 if working else 0
        if grid.rowStretch(1) != stretch:  # a new stretch lays the window out again
            grid.setRowStretch(1, stretch)
        if self.queue is not None and self.queue.compact == working:
            self.queue.set_compact(not working)

    def _follow_calls(self) -> None:
        phone = self.phone
        if phone is None:
            return
        self._fit_middle_column()
        self.idle_lock.set_busy(phone.session.busy)
        self.lock_screen.show_incoming_call(phone.session.offered_call is not None)
        self._prompt_sign_in_if_owed()

    @Slot(str)
    def show_problem(self, message: str) -> None:
        self.status.showMessage(message, PROBLEM_MS)
        if self.softphone is not None:
            self.softphone.show_notice(message)

    # -- lock ------------------------------------------------------------------------------

    @property
    def is_locked(self) -> bool:
        return self._stack.currentWidget() is self.lock_screen

    def follow_sync_status(self, status: SyncStatus) -> None:
        """The server refused to renew the session: ask for the password on the lock screen
        (after the call in progress, if any); the journal keeps everything queued meanwhile."""
        signed_out = status.connection is Connection.SIGNED_OUT
        if signed_out and not self._signed_out:
            log.info("the server asks for a new sign-in")
            self._prompt_pending = True
        self._signed_out = signed_out
        self._prompt_sign_in_if_owed()

    def _prompt_sign_in_if_owed(self) -> None:
        if not self._prompt_pending or self.idle_lock.busy:
            return
        self._prompt_pending = False
        self.lock_screen.show_sign_in_needed(True)
        if self.idle_lock.locked:
            return
        self.idle_lock.lock()

    def _show_locked(self, locked: bool) -> None:
        if not locked:
            self.lock_screen.show_sign_in_needed(False)
        if locked:
            log.info("screen locked after inactivity")
            self.lock_screen.reset()
            self._stack.setCurrentWidget(self.lock_screen)
        else:
            log.info("screen unlocked")
            self._stack.setCurrentWidget(self._page or self.work_area)
        for menu in (self.phone_menu, self.status_menu):
            menu.setEnabled(not locked and self.phone is not None)
        if self.agent_bar is not None:
            self.agent_bar.set_enabled(not locked)
        if self.softphone is not None:
            self.softphone.set_locked(locked)
        self._follow_calls()

    # -- keys ------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Digits no field took are tones for the call in progress.
        text = event.text()
        if (
            text in KEYS
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            and self.softphone is not None
            and self.softphone.send_tone(text)
        ):
            event.accept()
            return
        super().keyPressEvent(event)

    # -- closing ---------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        phone = self.phone
        if phone is not None and phone.session.calls and not self._closing_confirmed:
            event.ignore()
            self._confirm_close()
            return
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self._idle_watch)
        super().closeEvent(event)

    def _confirm_close(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            self.tr("Close Pulse"),
            self.tr("A call is in progress. Hang up and close Pulse?"),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setObjectName("confirmClose")
        box.setDefaultButton(QMessageBox.StandardButton.No)

        def answered(button: QAbstractButton) -> None:
            if box.standardButton(button) == QMessageBox.StandardButton.Yes:
                self._closing_confirmed = True
                self.close()
            else:
                self.signing_out = False

        box.buttonClicked.connect(answered)
        self.close_prompt = box
        box.open()
