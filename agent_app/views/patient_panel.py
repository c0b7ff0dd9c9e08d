"""The patient panel: the screen-pop of the call in front of the agent, from the first ring to
the end of its wrap-up.

It follows the session's calls and shows, for the call it is about, what the caller-id
lookup found: one patient → the card (masked until the identity gate opens); a household
number → the picker; nobody, or a caller id that is not a number → the search. After the
call ends the card stays, read-only, until the wrap-up is done or another call comes.

Which call the panel is about: the one the agent talks on (for a consult call, the caller
it consults about); else the newest call ringing for them; else the call it already
showed, while it lasts or awaits its wrap-up. The rules (who is linked, what is verified,
what is masked) are the workflow's; this panel reads the session and sends it intents.
It also writes the record-view audit event, once per call and patient, before a card is
shown (a card that cannot be audited is not shown).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from PySide6.QtCore import QCoreApplication, QEvent, QPoint, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from agent_app.store.agent_store import AgentStore
from agent_app.store.errors import StoreError
from agent_app.store.records import PatientRecord
from agent_app.views import shortcuts
from agent_app.views.forms import child, load_form
from agent_app.views.patient_card import PatientCard
from agent_app.views.patient_picker import PatientPicker
from agent_app.views.patient_search import PatientSearch, SearchQuery
from agent_app.views.styling import PATIENT_PANEL_STYLE
from agent_app.workflow.agent_session import AgentSession
from agent_app.workflow.call_session import CallPhase, CallSession, Direction
from agent_app.workflow.dial_rules import DialGate
from agent_app.workflow.events import AgentStateChanged, Problem, WorkflowEvent
from agent_app.workflow.identity import Claim
from agent_app.workflow.identity_gate import MatchKind, Verification
from agent_app.workflow.reveal_reasons import DEFAULT_REVEAL_REASONS, RevealReason

log = logging.getLogger(__name__)

COMPLIANCE_EVERY_MS = 30_000
"""How often the card's calling-rules indicator is judged again (amber, then red, as the
patient's calling hours close)."""

_SHOWN_CHARS = 80
"""A caller id is the caller's to choose: show no more of it than fits a line."""


def plain_caller_text(text: str) -> str:
    """A caller-sent string made safe to show: control and direction-override characters
    (which could hide or reorder what is shown) become spaces, and it is cut to a line."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    return cleaned if len(cleaned) <= _SHOWN_CHARS else cleaned[: _SHOWN_CHARS - 1] + "…"


class PatientPanel(QWidget):
    """The screen-pop; see the module docstring.

    Given a parent without a layout (the main window's group box), the panel fills it.
    ``reveal_reasons``: the codes the centre allows for showing a card unverified.
    """

    def __init__(
        self,
        session: AgentSession,
        store: AgentStore,
        parent: QWidget | None = None,
        *,
        reveal_reasons: Sequence[RevealReason] = DEFAULT_REVEAL_REASONS,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("patientPanelView")
        self.setAccessibleName(self.tr("Patient card"))
        self.setStyleSheet(PATIENT_PANEL_STYLE)
        self._session, self._store = session, store
        form = load_form("patient_panel.ui", self)
        self.header = child(form, QFrame, "callHeader")
        # Its room is kept while no call shows: the card below does not move down when a
        # call rings, and the window is not laid out again for it.
        policy = self.header.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.header.setSizePolicy(policy)
        self.call_state = child(form, QLabel, "callStateLabel")
        self.caller = child(form, QLabel, "callerLabel")
        self.caller_name = child(form, QLabel, "callerNameLabel")
        self.pages = child(form, QStackedWidget, "pages")
        self.idle_page = child(form, QWidget, "idlePage")
        self.message_page = child(form, QWidget, "messagePage")
        self.message = child(form, QLabel, "messageLabel")

        self.picker = PatientPicker(self.pages)
        self.search = PatientSearch(day_first=session.settings.day_first_dates, parent=self.pages)
        self.card = PatientCard(reveal_reasons, self.pages)
        self.card_page = self._scrolling(self.card)
        for page in (self.picker, self.search, self.card_page):
            self.pages.addWidget(page)
        self.verify_action = shortcuts.bind(self, "verify")
        self.search_action = shortcuts.bind(self, "search")
        self._connect()

        self._call: CallSession | None = None
        self._shown_patient: str | None = None
        self._shown_look: tuple[bool, bool] = (False, False)  # (verified, read-only)
        self._records: dict[str, PatientRecord] = {}
        self._searching: set[str] = set()  # record ids of calls on the search page
        self._picking: set[str] = set()  # record ids of calls back on the picker
        # First: the card is the screen-pop, brought up to date before the rest of the desk.
        unsubscribe = session.subscribe(self._on_event, first=True)
        self._gate: DialGate | None = None
        self._gate_watch: list[Callable[[], None]] = []

        def forget(*_: object, watch: list[Callable[[], None]] = self._gate_watch) -> None:
            unsubscribe()
            for stop in watch:
                stop()

        # A plain function, not a bound method: it must not need this (dying) wrapper.
        self.destroyed.connect(forget)
        self._compliance_timer = QTimer(self)
        self._compliance_timer.setInterval(COMPLIANCE_EVERY_MS)
        self._compliance_timer.timeout.connect(self.show_compliance)
        self._compliance_timer.start()
        if parent is not None and parent.layout() is None:
            # The main window's group box: the panel fills it.
            layout = QVBoxLayout(parent)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(self)
        self.refresh()

    def _scrolling(self, card: QWidget) -> QScrollArea:
        area = QScrollArea(self.pages)
        area.setObjectName("cardScroll")
        area.setAccessibleName(self.tr("Patient card"))
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setWidgetResizable(True)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        area.setWidget(card)
        return area

    def _connect(self) -> None:
        self.verify_action.triggered.connect(self.focus_verification)
        self.search_action.triggered.connect(self.open_search)
        self.picker.chosen.connect(self._choose)
        self.picker.search_requested.connect(self.open_search)
        self.search.submitted.connect(self._run_search)
        self.search.chosen.connect(self._choose)
        self.search.back_requested.connect(self._leave_search)
        self.card.other_patient_button.clicked.connect(self._pick_again)
        self.card.search_button.clicked.connect(self.open_search)
        self.card.identity.verify_requested.connect(self._verify)
        self.card.identity.reveal_requested.connect(self._reveal)

    # -- reading ---------------------------------------------------------------------------

    @property
    def call(self) -> CallSession | None:
        """The call the panel is about."""
        return self._call

    @property
    def page(self) -> str:
        """Which page shows: idle, message, picker, search or card."""
        current = self.pages.currentWidget()
        names = {
            id(self.idle_page): "idle",
            id(self.message_page): "message",
            id(self.picker): "picker",
            id(self.search): "search",
            id(self.card_page): "card",
        }
        return names.get(id(current), "?")

    # -- keyboard entry points --------------------------------------------------------------

    def focus_verification(self) -> None:
        """Ctrl+Shift+V: to the identity form (or to the picker, which comes first)."""
        if self.page == "card" and self.card.identity.isVisible():
            self.card.identity.focus_first()
            # The form sits below the patient's fields: on a small screen it is out of view,
            # and a focus set by a shortcut does not scroll there (a Tab does).
            focused = QApplication.focusWidget()
            if focused is not None and self.card.identity.isAncestorOf(focused):
                # The field, with as much of the form's heading above it as the view allows.
                above = focused.mapTo(self.card.identity, QPoint(0, 0)).y()
                room = self.card_page.viewport().height() - focused.height()
                self.card_page.ensureWidgetVisible(focused, 0, max(0, min(above, room - 8)))
        elif self.page == "picker":
            self.picker.focus_list()

    def open_search(self) -> None:
        """Ctrl+F: search for a patient, on a call that is still live."""
        call = self._call
        if call is None or not call.live:
            return
        self._searching.add(call.record_id)
        self.refresh()
        self.search.focus_first()

    # -- following the session --------------------------------------------------------------

    def _on_event(self, event: WorkflowEvent) -> None:
        # The calls and their wrap-ups decide what shows here; the agent's state and the
        # problems (the state bar's and the status bar's) do not.
        if not isinstance(event, AgentStateChanged | Problem):
            self.refresh()

    def refresh(self) -> None:
        self._watch_gate()
        call = self._focus()
        if call is not self._call:
            self._call, self._shown_patient = call, None
            self._records.clear()
            self.search.reset()
            self.card.identity.reset()
        self._show_header(call)
        if call is None:
            self.pages.setCurrentWidget(self.idle_page)
            return
        try:
            self._show_call(call)
        except StoreError as exc:
            log.warning(
                "patient card of call %s not shown (%s)", call.record_id, type(exc).__name__
            )
            self._show_message(
                self.tr(
                    "The patient card cannot be shown: the local patient store is not "
                    "available. Search again in a moment."
                )
            )

    def _focus(self) -> CallSession | None:
        call = self._followed()
        if call is not None and call.consult_of is not None:
            # A consult (a warm transfer, a conference) is about the caller it was placed
            # for: their card stays, while they are on the line or await their wrap-up,
            # whichever leg of a completed transfer ends first.
            return self._consulted(call.consult_of) or call
        return call

    def _consulted(self, record_id: str) -> CallSession | None:
        session = self._session
        for call in (*session.calls, *(w.call for w in session.wrap_ups)):
            if call.record_id == record_id:
                return call
        return None

    def _followed(self) -> CallSession | None:
        session = self._session
        active = session.active_call
        if active is not None:
            return active
        live = session.calls
        offered = [c for c in live if c.offered]
        if offered:
            return offered[-1]
        current = self._call
        if current is not None and current in live:
            return current
        if live:
            return live[-1]
        if current is not None and any(w.call is current for w in session.wrap_ups):
            return current
        return None

    def _show_header(self, call: CallSession | None) -> None:
        self.header.setVisible(call is not None)
        if call is None:
            return
        self.call_state.setText(self._phase_text(call))
        number = plain_caller_text(call.number) or self.tr("withheld")
        if call.direction is Direction.OUTBOUND:
            self.caller.setText(self.tr("Number called: {number}").format(number=number))
        else:
            self.caller.setText(self.tr("Caller ID: {number}").format(number=number))
        name = plain_caller_text(call.display_name)
        self.caller_name.setText(
            self.tr("Name sent by the caller (unverified): {name}").format(name=name)
        )
        if self.caller_name.isHidden() == bool(name):
            self.caller_name.setVisible(bool(name))
            self.header.updateGeometry()  # one line fewer or more: the header's height follows

    def _phase_text(self, call: CallSession) -> str:
        outbound = call.direction is Direction.OUTBOUND
        texts = {
            CallPhase.RINGING: self.tr("Incoming call, ringing"),
            CallPhase.DIALING: self.tr("Calling…"),
            CallPhase.ANSWERING: self.tr("Connecting…"),
            CallPhase.TALKING: self.tr("Outgoing call") if outbound else self.tr("On call"),
            CallPhase.HELD: self.tr("On hold"),
            CallPhase.ENDED: self.tr("Call ended: wrap-up"),
        }
        return texts[call.phase]

    def _show_call(self, call: CallSession) -> None:
        key, match = call.record_id, call.match
        if not call.live:
            self._searching.discard(key)
            self._picking.discard(key)
            if call.patient_id is None:
                self._show_message(self.tr("The call ended with no patient chosen."))
            else:
                self._show_card(call, call.patient_id)
            return
        if key in self._searching:
            self._show_search(call)
        elif key in self._picking and match.kind is MatchKind.SEVERAL:
            self._show_picker(call)
        elif call.patient_id is not None:
            self._show_card(call, call.patient_id)
        elif match.kind is MatchKind.SEVERAL:
            self._show_picker(call)
        else:
            self._show_search(call)

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.pages.setCurrentWidget(self.message_page)

    def _show_picker(self, call: CallSession) -> None:
        records = [r for pid in call.match.candidates if (r := self._record(pid)) is not None]
        if self.pages.currentWidget() is not self.picker or self.picker.candidates.count() != len(
            records
        ):
            self.picker.show_candidates(records)
        self.pages.setCurrentWidget(self.picker)

    def _show_search(self, call: CallSession) -> None:
        kind = call.match.kind
        if call.record_id in self._searching:
            title = self.tr("Search for the patient by name and date of birth, or by MRN.")
        elif kind is MatchKind.UNAVAILABLE:
            title = self.tr(
                "The patient store could not be asked who has this number. Search by name "
                "and date of birth, or by MRN."
            )
        else:
            title = self.tr(
                "No patient has this number. Search by name and date of birth, or by MRN."
            )
        self.search.set_title(title)
        has_way_back = call.patient_id is not None or kind is MatchKind.SEVERAL
        self.search.back_button.setVisible(has_way_back)
        self.pages.setCurrentWidget(self.search)

    def _show_card(self, call: CallSession, patient_id: str) -> None:
        record = self._record(patient_id)
        if record is None:
            self._show_message(self.tr("This patient is no longer in the local patient store."))
            return
        if not self._session.view_record(call.record_id, patient_id):
            self._show_message(
                self.tr(
                    "The patient card cannot be shown: its view could not be written to "
                    "the audit log."
                )
            )
            return
        fresh = patient_id != self._shown_patient
        if fresh:
            self._shown_patient = patient_id
            self.card.identity.reset()
        self.card.show_patient(
            record,
            call.identity,
            campaigns=self._campaign_names(record),
            max_attempts=self._session.settings.identity_attempts,
            read_only=not call.live,
            can_pick_other=call.match.kind is MatchKind.SEVERAL,
        )
        look = (call.identity.state is Verification.VERIFIED, not call.live)
        if fresh or look != self._shown_look:
            # A new caller's card, one just revealed (the identity form the agent typed into,
            # at the bottom, has gone) or one turned read-only (a note above its rows) is
            # read from the caller's name down.
            self._shown_look = look
            self.card_page.verticalScrollBar().setValue(0)
        self.pages.setCurrentWidget(self.card_page)
        self.show_compliance()
        if fresh and call.phase is CallPhase.RINGING:
            self._paint_now()

    def _paint_now(self) -> None:
        """Put a ringing caller's card on screen now, laid out, before the rest of the desk
        (the softphone, the state and status bars) catches up with the ring: those paint a
        frame later, the card the agent greets from does not wait for them."""
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        self.card_page.repaint()

    # -- the calling rules' indicator ----------------------------------------------------------

    def show_compliance(self) -> None:
        """Judge the card's patient again (the call's campaign, or none for an inbound or
        softphone call) and show the verdict."""
        call = self._call
        if self.page != "card" or call is None or call.patient_id != self._shown_patient:
            return
        # This call is itself an attempt: what the rules say is about calling again.
        again = call.direction is Direction.OUTBOUND
        self.card.show_compliance(self._session.compliance(call), again=again)

    def _watch_gate(self) -> None:
        """Follow the desk's calling rules (set once the outbound side starts): an opt-out or
        an attempt it learns may change the verdict of the patient shown."""
        gate = self._session.gate
        if gate is self._gate:
            return
        for stop in self._gate_watch:
            stop()
        self._gate_watch.clear()
        self._gate = gate
        if gate is not None:
            self._gate_watch.append(gate.subscribe(self._on_gate))

    def _on_gate(self, patient_id: str) -> None:
        if patient_id == self._shown_patient:
            self.show_compliance()

    def _record(self, patient_id: str) -> PatientRecord | None:
        record = self._records.get(patient_id)
        if record is None:
            record = self._store.cache.get(patient_id)
            if record is not None:
                self._records[patient_id] = record
        return record

    def _campaign_names(self, record: PatientRecord) -> list[str]:
        names = []
        for campaign_id in record.campaign_ids:
            document = self._store.cache.document("campaigns", campaign_id)
            name = document.get("name") if document else None
            names.append(name if isinstance(name, str) and name else campaign_id)
        return names

    # -- intents --------------------------------------------------------------------------

    def _choose(self, patient_id: str) -> None:
        call = self._call
        if call is None:
            return
        self._searching.discard(call.record_id)
        self._picking.discard(call.record_id)
        if not self._session.choose_patient(call.call_id, patient_id):
            self.refresh()  # the same patient again: back to the card
        self.card.identity.focus_first()

    def _pick_again(self) -> None:
        call = self._call
        if call is not None and call.live:
            self._picking.add(call.record_id)
            self.refresh()
            self.picker.focus_list()

    def _leave_search(self) -> None:
        call = self._call
        if call is not None:
            self._searching.discard(call.record_id)
            self.refresh()

    def _run_search(self, query: SearchQuery) -> None:
        call = self._call
        if call is None or not call.live:
            return
        reason = f"call {call.record_id}: patient search"
        try:
            if query.mrn:
                found = self._store.search_mrn(query.mrn, reason=reason)
            else:
                found = self._store.search_name_dob(
                    query.family_name,
                    query.birth_date,
                    given_name=query.given_name or None,
                    reason=reason,
                )
        except StoreError as exc:
            log.warning("patient search of call %s failed (%s)", call.record_id, type(exc).__name__)
            self.search.show_message(
                self.tr("The search could not be made: the local patient store is not available."),
                "problem",
            )
            return
        self._records.update((r.id, r) for r in found)
        self.search.show_results(found)

    def _verify(self, claim: Claim) -> None:
        call, patient_id = self._call, self._shown_patient
        if call is None or patient_id is None:
            return
        record = self._record(patient_id)
        if record is None:
            return
        status = self._session.verify_identity(call.call_id, record, claim)
        limit = self._session.settings.identity_attempts
        self.card.identity.show_outcome(status, limit)

    def _reveal(self, reason: str) -> None:
        call = self._call
        if call is None:
            return
        if not self._session.reveal(call.call_id, reason):
            self.card.identity.show_message(
                self.tr("The card could not be shown: the reveal was not recorded."), "problem"
            )
