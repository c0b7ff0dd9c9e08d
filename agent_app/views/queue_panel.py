"""The queue panel: the campaign's next patient (preview card, calling-rules badge, attempt
history, Call now / Skip, the progressive countdown) and the callbacks list with due alerts.

It only shows :class:`~agent_app.workflow.outbound.CampaignSession` and sends its intents;
the voicemail drop key asks the desk to leave the campaign's message on the call in progress.
:meth:`QueuePanel.run_request` is the session's runner for the server's lease requests: they
run one after the other on the panel's own worker thread, and their answers come back on the
window's thread, so that a slow server never freezes the desk.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import QCoreApplication, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from agent_app.views import shortcuts
from agent_app.views.background import BackgroundRunner
from agent_app.views.calling_rules import BADGE_LEVEL, rule_text
from agent_app.views.forms import child, load_form
from agent_app.views.styling import QUEUE_PANEL_STYLE
from agent_app.workflow.agent_session import AgentSession
from agent_app.workflow.dial_rules import Level, Verdict
from agent_app.workflow.disposition import SYSTEM_TREE
from agent_app.workflow.outbound import SKIP_REASONS, CampaignChanged, CampaignSession, Phase

TICK_MS = 500
_BEFORE_THE_CALL = (Phase.PREVIEW, Phase.COUNTDOWN)


def _tr(text: str) -> str:
    return QCoreApplication.translate("QueuePanel", text)


def _local(moment: datetime, zone: str | None) -> str:
    """A time as the patient's clock shows it (the workstation's when unknown)."""
    try:
        shown = moment.astimezone(ZoneInfo(zone)) if zone else moment.astimezone()
    except (ZoneInfoNotFoundError, ValueError):
        shown = moment.astimezone()
    return shown.strftime("%a %d %b %H:%M")


class QueuePanel(QWidget):
    """See the module docstring."""

    working = Signal(bool)
    """A campaign is shown (the window gives the panel room) or none is."""
    previewing = Signal(str, str)
    """(campaign id, patient id) of the leased patient shown before the call (the script
    panel shows their script); empty strings once there is none or the call is placed."""

    def __init__(
        self,
        desk: AgentSession,
        parent: QWidget | None = None,
        *,
        message_for: Callable[[str], str | None] = lambda _campaign: None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("queuePanelView")
        self.desk = desk
        self.session: CampaignSession | None = None
        self._message_for = message_for
        self._unsubscribe: Callable[[], None] | None = None
        self._previewed: tuple[str, str] = ("", "")
        # One thread: a release reaches the server before the next lease is asked for.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._requests = BackgroundRunner(self, pool=self._pool)
        self.setStyleSheet(QUEUE_PANEL_STYLE)
        form = self._scrolling_form()
        self.pages = child(form, QStackedWidget, "pages")
        self.idle_page = child(form, QWidget, "idlePage")
        self.lease_page = child(form, QWidget, "leasePage")
        self.campaign_title = child(form, QLabel, "campaignTitle")
        self.mode_label = child(form, QLabel, "modeLabel")
        self.idle_label = child(form, QLabel, "idleLabel")
        self.next_button = child(form, QPushButton, "nextButton")
        self.patient_name = child(form, QLabel, "patientName")
        self.patient_details = child(form, QLabel, "patientDetails")
        self.badge = child(form, QLabel, "complianceBadge")
        self.reason = child(form, QLabel, "complianceReason")
        self.attempts = child(form, QListWidget, "attemptsList")
        self.countdown = child(form, QLabel, "countdownLabel")
        self.dial_button = child(form, QPushButton, "dialButton")
        self.skip_reason = child(form, QComboBox, "skipReason")
        self.skip_button = child(form, QPushButton, "skipButton")
        self.message = child(form, QLabel, "messageLabel")
        self.callbacks = child(form, QListWidget, "callbacksList")
        self.due_badge = child(form, QLabel, "dueBadge")
        for code, text in SKIP_REASONS:
            self.skip_reason.addItem(_tr(text), code)
        self.dial_action = shortcuts.bind(self, "campaign_dial")
        self.dial_action.triggered.connect(self.dial)
        self.dial_button.setToolTip(shortcuts.tooltip("campaign_dial"))
        self.voicemail_action = shortcuts.bind(self, "voicemail")
        self.voicemail_action.triggered.connect(self.leave_voicemail)
        self.dial_button.clicked.connect(self.dial)
        self.skip_button.clicked.connect(self.skip)
        self.next_button.clicked.connect(self._next)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._summary_text = ""
        self.set_compact(False)
        self.show_session()

    def _scrolling_form(self) -> QWidget:
        """The form inside a scroll area: the attempts and the callbacks never make the
        window taller than the screen."""
        area = QScrollArea(self)
        area.setObjectName("queueScroll")
        area.setAccessibleName(self.tr("Campaign"))
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setWidgetResizable(True)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        area.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        inner = QWidget(area)
        form = load_form("queue_panel.ui", inner)
        area.setWidget(inner)
        self._area = area
        # The one line the panel shows while it is compact (see set_compact).
        self.summary = QLabel(self)
        self.summary.setObjectName("campaignSummary")
        self.summary.setAccessibleName(self.tr("Campaign"))
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(area)
        layout.addWidget(self.summary)
        return form

    def set_compact(self, compact: bool) -> None:
        """Compact: one line (the campaign, its mode and the callbacks due, or that there is
        no campaign) in place of the preview and the lists, for a panel given the least room
        (no campaign at work, or a call in progress)."""
        self._area.setVisible(not compact)
        self.summary.setVisible(compact)
        self.setSizePolicy(
            QSizePolicy.Policy.Preferred,
            QSizePolicy.Policy.Maximum if compact else QSizePolicy.Policy.Preferred,
        )
        self.updateGeometry()

    @property
    def compact(self) -> bool:
        return self.summary.isVisibleTo(self)

    def _show_summary(self) -> None:
        session = self.session
        if session is None:
            text = self.idle_label.text()
        else:
            parts = (
                str(session.campaign.get("name") or ""),
                self.mode_label.text(),
                self.due_badge.text(),
            )
            text = " · ".join(part for part in parts if part)
        if text != self._summary_text:  # the panel's tick calls this twice a second
            self._summary_text = text
            self.summary.setToolTip(text)
            self._elide_summary()

    def _elide_summary(self) -> None:
        width = max(0, self.summary.contentsRect().width())
        metrics = self.summary.fontMetrics()
        shown = metrics.elidedText(self._summary_text, Qt.TextElideMode.ElideRight, width)
        if shown != self.summary.text():  # a new text may lay the window out again
            self.summary.setText(shown)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide_summary()

    # -- wiring ----------------------------------------------------------------------------

    def set_session(self, session: CampaignSession | None, *, start: bool = False) -> None:
        """Show this campaign (None: no campaign); ``start``: lease its first patient now,
        else when the agent presses Start."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.session = session
        if session is not None:
            self._unsubscribe = session.subscribe(self._on_change)
            if start:
                session.start()
            self._timer.start()
        else:
            self._timer.stop()
        self.working.emit(session is not None)
        self.show_session()

    def run_request(self, job: Callable[[], Any], done: Callable[[Any], None]) -> None:
        """A :class:`~agent_app.workflow.outbound.Runner`: ``job`` on the panel's worker
        thread, ``done`` (with its result or its exception) back on the window's thread."""
        self._requests.run(job, done, done)

    @property
    def previewed(self) -> tuple[str, str]:
        """(campaign id, patient id) of the patient previewed now; empty strings: none."""
        return self._previewed

    def set_message_source(self, message_for: Callable[[str], str | None]) -> None:
        """Where the campaign's voicemail message is found (campaign id -> WAV path)."""
        self._message_for = message_for

    @Slot()
    def dial(self) -> bool:
        return self.session is not None and self.session.dial()

    @Slot()
    def skip(self) -> bool:
        code = self.skip_reason.currentData()
        return self.session is not None and isinstance(code, str) and self.session.skip(code)

    @Slot()
    def leave_voicemail(self) -> bool:
        """The answering machine took the call: leave the campaign's approved message."""
        call = self.desk.active_call
        if call is None:
            return False
        path = self._message_for(call.campaign_id or "") if call.campaign_id else None
        if not path:
            self.message.setText(self.tr("This campaign has no voicemail message to leave."))
            return False
        return self.desk.drop_voicemail(call.call_id, path)

    @Slot()
    def _next(self) -> None:
        session = self.session
        if session is None:
            return
        if session.running:
            session.next_patient()
        else:
            session.start()
        self.show_session()

    def _on_change(self, event: CampaignChanged) -> None:
        if event.message:
            self.message.setText(QCoreApplication.translate("Workflow", event.message))
        self.show_session()

    @Slot()
    def _tick(self) -> None:
        if self.session is not None:
            self.session.poll()
            self._show_countdown()
            self._show_callbacks()
            self._show_summary()

    # -- showing ---------------------------------------------------------------------------

    def show_session(self) -> None:
        self._show_session()
        self._show_summary()
        session = self.session
        lease = None if session is None else session.lease
        shown = ("", "")
        if lease is not None and session is not None and session.phase in _BEFORE_THE_CALL:
            shown = (lease.campaign_id, lease.patient_id)
        if shown != self._previewed:
            self._previewed = shown
            self.previewing.emit(*shown)

    def _show_session(self) -> None:
        session = self.session
        if session is None:
            self.campaign_title.setText("")
            self.mode_label.setText("")
            self.idle_label.setText(self.tr("No campaign to work. Outbound patients appear here."))
            self.next_button.setVisible(False)
            self.pages.setCurrentWidget(self.idle_page)
            self._show_callbacks()
            return
        self.campaign_title.setText(str(session.campaign.get("name") or ""))
        self.mode_label.setText(
            self.tr("Progressive") if session.progressive else self.tr("Preview")
        )
        lease = session.lease
        if not session.running:
            self.idle_label.setText(
                self.tr("Press Start to get the first patient of this campaign.")
            )
            self.next_button.setText(self.tr("&Start calling"))
            self.next_button.setVisible(True)
            self.pages.setCurrentWidget(self.idle_page)
        elif lease is None:
            if session.asking:
                self.idle_label.setText(self.tr("Asking the server for the next patient…"))
            else:
                self.idle_label.setText(self.tr("No patient to call in this campaign right now."))
            self.next_button.setText(self.tr("&Next patient"))
            # Left enabled while asking (the focus stays on it): the session sends no
            # second request while one is on its way.
            self.next_button.setVisible(True)
            self.pages.setCurrentWidget(self.idle_page)
        else:
            if self.pages.currentWidget() is not self.lease_page:
                self.pages.setCurrentWidget(self.lease_page)
                self._area.verticalScrollBar().setValue(0)  # the card first
                if self.next_button.hasFocus():  # the Start key is gone: on to Call now
                    self.dial_button.setFocus()
            self._show_patient(lease.patient_id)
            verdict = session.verdict()
            self._show_verdict(verdict)
            self._show_attempts()
            waiting = session.phase in (Phase.PREVIEW, Phase.COUNTDOWN)
            self.dial_button.setEnabled(waiting and verdict.allowed)
            self.skip_button.setEnabled(waiting)
            self.skip_reason.setEnabled(waiting)
        self._show_countdown()
        self._show_callbacks()

    def _show_patient(self, patient_id: str) -> None:
        record = self.desk.patient_record(patient_id)
        session = self.session
        if record is None:
            self.patient_name.setText(self.tr("Patient record not on this desk"))
            self.patient_details.setText("")
            return
        lease = session.lease if session is not None else None
        why = f"lease {lease.lease_id}" if lease else "preview"
        if not self.desk.view_record("", patient_id, reason=why):
            self.patient_name.setText(
                self.tr("The patient cannot be shown: the view could not be audited.")
            )
            self.patient_details.setText("")
            return
        self.patient_name.setText(f"{record.given_name} {record.family_name}")
        try:
            zone = ZoneInfo(record.time_zone)
            now = datetime.now(zone) if session is None else session.now().astimezone(zone)
            local = now.strftime("%H:%M")
        except (ZoneInfoNotFoundError, ValueError):
            local = "?"
        number = record.phones[0].number if record.phones else ""
        tail = f"•••• {number[-4:]}" if len(number) >= 4 else ""
        callback = session.lease.callback_id if session and session.lease else None
        details = self.tr("{local} local time ({zone}) · {number}").format(
            local=local, zone=record.time_zone, number=tail
        )
        if callback:
            details += " · " + self.tr("Callback")
        self.patient_details.setText(details)

    def _show_verdict(self, verdict: Verdict) -> None:
        text = {
            Level.GREEN: self.tr("May call"),
            Level.AMBER: self.tr("Call soon"),
            Level.RED: self.tr("Not callable now"),
        }[verdict.level]
        self.badge.setText(text)
        self.badge.setProperty("level", BADGE_LEVEL[verdict.level])
        self.badge.style().unpolish(self.badge)
        self.badge.style().polish(self.badge)
        self.reason.setText(rule_text(verdict))
        self.reason.setVisible(bool(verdict.reason))

    def _show_attempts(self) -> None:
        self.attempts.clear()
        session = self.session
        shown = () if session is None else session.attempts()
        for attempt in reversed(shown):
            node = SYSTEM_TREE.find(attempt.code or "")
            outcome = (
                QCoreApplication.translate("Workflow", node.label)
                if node is not None
                else attempt.code or self.tr("Not disposed yet")
            )
            record = self.desk.patient_record(attempt.patient_id)
            when = _local(attempt.at, None if record is None else record.time_zone)
            QListWidgetItem(f"{when} — {outcome}", self.attempts)
        if not shown:
            QListWidgetItem(self.tr("No attempts yet"), self.attempts)

    def _show_countdown(self) -> None:
        session = self.session
        left = None if session is None else session.countdown_left()
        if left is None:
            self.countdown.setVisible(False)
            return
        self.countdown.setVisible(True)
        self.countdown.setText(
            self.tr("Calling in {seconds} s…").format(seconds=max(0, round(left)))
        )

    def _show_callbacks(self) -> None:
        session = self.session
        items = () if session is None else session.callbacks()
        due = () if session is None else session.due_callbacks()
        self.callbacks.clear()
        for callback in items:
            record = self.desk.patient_record(callback.patient_id)
            name = (
                self.tr("Patient")
                if record is None
                or not self.desk.view_record(
                    "", callback.patient_id, reason=f"callback {callback.callback_id}"
                )
                else f"{record.given_name} {record.family_name}"
            )
            when = _local(callback.due_at, None if record is None else record.time_zone)
            whose = self.tr("anyone") if callback.for_anyone else self.tr("me")
            prefix = self.tr("Due") + " · " if callback in due else ""
            text = self.tr("{when} · {name} · for {whose}").format(
                name=name, when=when, whose=whose
            )
            row = QListWidgetItem(prefix + text, self.callbacks)
            row.setToolTip(row.text())
        if not items:
            QListWidgetItem(self.tr("No callbacks"), self.callbacks)
        self.due_badge.setText(self.tr("{n} due").format(n=len(due)) if due else "")
        self.due_badge.setProperty("level", "warning" if due else "neutral")
        self.due_badge.style().unpolish(self.due_badge)
        self.due_badge.style().polish(self.due_badge)
