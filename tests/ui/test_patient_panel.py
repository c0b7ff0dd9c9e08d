"""The patient panel on a real encrypted store and a desk fed engine events: the card pops
while the call rings, masked until two identifiers match; households get a picker, unknown
callers a search; caller ids are shown as text; every view, check and reveal is audited."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication, QGroupBox, QLabel, QWidget
from pytestqt.qtbot import QtBot

from agent_app.secrets.store import SecretStore
from agent_app.store.agent_store import AgentStore
from agent_app.store.errors import DiskFullError
from agent_app.telephony import protocol as p
from agent_app.views.patient_panel import PatientPanel
from agent_app.workflow.agent_session import AgentSession
from agent_app.workflow.agent_state import IncomingPolicy
from agent_app.workflow.call_session import CallSession
from agent_app.workflow.desk_settings import DeskSettings
from agent_app.workflow.dial_rules import DialGate, shared_rules
from agent_app.workflow.disposition import CacheReads
from agent_app.workflow.identity_gate import Verification
from testbed.store_population import campaign_item, patient_items
from tests.unit.workflow.fakes import FakeEngine, ManualClock, ServerTime

ACCOUNT = "agent-sip"
HOUSEHOLD_NUMBER = "+12015550100"  # patients 0 and 1 share it (household_every=5)
SINGLE = 3  # the patient whose home number is theirs alone
UNKNOWN_NUMBER = "+12025550199"
SHOTS = os.environ.get("PULSE_PANEL_SHOTS")
"""A folder to save a picture of each state in (set it to look at them)."""


@pytest.fixture
def store(secret_backend: object, request: pytest.FixtureRequest) -> Iterator[AgentStore]:
    opened = AgentStore.open(
        agent_id=f"agent-{abs(hash(request.node.nodeid)) % 10**10}",
        workstation_id="ws-desk",
        secrets=SecretStore(secret_backend),  # type: ignore[arg-type]
    )
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def patients(store: AgentStore) -> list[dict[str, Any]]:
    """Twelve synthetic patients; the first two share a home phone."""
    store.cache.apply_snapshot(
        "campaigns", [campaign_item("camp-a")], cursor="c-1", first=True, last=True
    )
    items = list(patient_items(12, household_every=5))
    store.cache.apply_snapshot("patients", items, cursor="p-1", first=True, last=True)
    return items


@dataclass
class Desk:
    session: AgentSession
    engine: FakeEngine
    store: AgentStore
    panel: PatientPanel
    qtbot: QtBot

    def ring(self, call_id: str, number: str, name: str = "") -> CallSession:
        self.session.handle(p.IncomingCall(call_id, ACCOUNT, number, name, "sip:caller@pbx"))
        found = self.session.call(call_id)
        assert found is not None
        return found

    def answer(self, call_id: str) -> None:
        assert self.session.answer(call_id)
        self.session.handle(p.CallStateChanged(call_id, "confirmed", 200, "OK"))

    def end(self, call_id: str) -> None:
        self.session.handle(p.CallEnded(call_id, 200, "Normal", "remote"))

    def press(
        self, widget: QWidget, key: Qt.Key, modifiers: Any = Qt.KeyboardModifier.NoModifier
    ) -> None:
        self.qtbot.keyClick(widget, key, modifiers)

    def type_into(self, widget: QWidget, text: str) -> None:
        self.qtbot.keyClicks(widget, text)

    def audits(self) -> list[dict[str, Any]]:
        """Audit events written to the journal since the last call (each read once)."""
        batch = self.store.journal.next_batch()
        return [item.payload for item in batch if item.kind == "audit"]

    def shoot(self, name: str) -> None:
        if SHOTS:
            QApplication.processEvents()  # let the layouts settle, as the event loop would
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            assert self.panel.grab().save(str(Path(SHOTS) / f"{name}.png"))


def make_desk(store: AgentStore, qtbot: QtBot, audit: Any = None, **settings: Any) -> Desk:
    engine = FakeEngine()
    session = AgentSession(
        send=engine,
        outbox=store.journal,
        audit=audit or store.journal.audit,
        lookup=lambda number: [r.id for r in store.caller_lookup(number)],
        settings=DeskSettings(account_id=ACCOUNT, **settings),
        clock=ManualClock(),
        server_now=ServerTime(),
    )
    session.handle(p.RegistrationChanged(ACCOUNT, "registered", 200))
    session.go_ready()
    panel = PatientPanel(session, store)
    qtbot.addWidget(panel)
    panel.resize(560, 820)
    with qtbot.waitExposed(panel):
        panel.show()
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow, timeout=5000)
    built = Desk(session, engine, store, panel, qtbot)
    built.audits()  # start from an empty trail
    return built


@pytest.fixture
def desk(store: AgentStore, patients: list[dict[str, Any]], qtbot: QtBot) -> Desk:
    return make_desk(store, qtbot)


def _shown_text(card: QWidget) -> str:
    """Everything the card's labels show, to check that no masked value leaks."""
    return "\n".join(label.text() for label in card.findChildren(QLabel) if label.isVisible())


def _phi(patient: dict[str, Any]) -> list[str]:
    numbers = [phone["number"] for phone in patient["phones"]]
    return [patient["family_name"], patient["birth_date"], patient["mrn"], *numbers]


def _assert_no_phi(audits: list[dict[str, Any]], patients: list[dict[str, Any]]) -> None:
    text = json.dumps(audits)
    for patient in patients:
        for value in (patient["given_name"], *_phi(patient)):
            assert value not in text


def test_one_match_pops_a_masked_card_while_ringing_and_verification_reveals_it(
    desk: Desk, patients: list[dict[str, Any]]
) -> None:
    patient = patients[SINGLE]
    call = desk.ring("c1", patient["phones"][0]["number"])
    assert call.identity.state is Verification.UNVERIFIED
    assert desk.panel.page == "card" and desk.panel.call is call
    card = desk.panel.card
    assert desk.panel.call_state.text() == "Incoming call, ringing"
    assert card.greeting.text() == patient["given_name"]
    assert card.fields["careProgram"].text() == "diabetes"
    assert card.fields["campaign"].text() == "Campaign camp-a"
    assert card.fields["birthDate"].text() == "•••• (verify to show)"
    assert card.fields["mrn"].text().endswith("003 (verify to show)")
    assert card.badge.text() == "Not verified yet"
    shown = _shown_text(desk.panel.card)
    for value in _phi(patient):
        assert value not in shown
    desk.shoot("card-masked")

    desk.answer("c1")
    desk.press(
        desk.panel,
        Qt.Key.Key_V,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    identity = card.identity
    assert identity.family_name.hasFocus()
    desk.type_into(identity.family_name, patient["family_name"].upper())
    desk.type_into(identity.birth_date, "1/23/1941")  # the same date, written otherwise
    desk.press(identity.birth_date, Qt.Key.Key_Return)

    assert call.identity.state is Verification.VERIFIED
    assert card.badge.text() == "Identity verified"
    assert card.fields["birthDate"].text() == patient["birth_date"]
    assert card.fields["mrn"].text() == patient["mrn"]
    assert card.fields["fullName"].text() == f"{patient['given_name']} {patient['family_name']}"
    assert patient["phones"][1]["number"] in card.fields["phones"].text()
    assert not identity.isVisible()
    desk.shoot("card-verified")

    audits = desk.audits()
    assert audits == [
        {
            "action": "view",
            "patient_id": patient["id"],
            "reason": f"call {call.record_id}",
            "result": "ok",
        },
        {
            "action": "verify_identity",
            "patient_id": patient["id"],
            "reason": f"call {call.record_id}",
            "result": "verified",
        },
    ]
    _assert_no_phi(audits, patients)


def test_wrong_identifiers_are_counted_keep_the_card_masked_and_lock_it(
    desk: Desk, patients: list[dict[str, Any]]
) -> None:
    patient = patients[SINGLE]
    call = desk.ring("c1", patient["phones"][0]["number"])
    desk.answer("c1")
    identity = desk.panel.card.identity
    assert identity.attempts.text() == "3 checks allowed on this call"

    identity.family_name.setText(patient["family_name"])
    desk.press(identity.family_name, Qt.Key.Key_Return)
    assert "at least two identifiers" in identity.result.text()
    assert call.identity.failed_attempts == 0, "one identifier is not an attempt"

    for attempt in (1, 2, 3):
        identity.family_name.setText(patient["family_name"])
        identity.birth_date.setText("1941-01-24")
        desk.press(identity.birth_date, Qt.Key.Key_Return)
        assert call.identity.failed_attempts == attempt
        assert desk.panel.card.fields["birthDate"].text() == "•••• (verify to show)"
        if attempt == 1:
            assert identity.attempts.text() == "Failed checks: 1 of 3"
            assert "do not match" in identity.result.text()
            assert identity.family_name.text() == "", "what was typed is not kept"
            desk.shoot("card-failed-once")

    assert call.identity.state is Verification.LOCKED
    assert desk.panel.card.badge.text() == "Locked: identity not verified"
    assert identity.attempts.text() == "Failed checks: 3 of 3"
    assert "Locked after 3 failed checks" in identity.result.text()
    assert not identity.family_name.isEnabled() and not identity.verify_button.isEnabled()
    assert not identity.reveal_box.isVisible(), "a locked call cannot be revealed either"
    for value in _phi(patient):
        assert value not in _shown_text(desk.panel.card)
    desk.shoot("card-locked")

    identity.verify_button.click()  # disabled: nothing happens
    audits = desk.audits()
    assert [a["action"] for a in audits] == ["view"] + ["verify_identity"] * 3
    assert [a["result"] for a in audits[1:]] == [f"not verified ({n} of 3)" for n in (1, 2, 3)]
    assert all(a["reason"] == f"call {call.record_id}" for a in audits)
    _assert_no_phi(audits, patients)


def test_a_household_number_shows_a_picker_and_nothing_until_the_agent_picks(
    desk: Desk, patients: list[dict[str, Any]]
) -> None:
    call = desk.ring("c1", HOUSEHOLD_NUMBER)
    picker = desk.panel.picker
    assert desk.panel.page == "picker"
    assert call.patient_id is None
    assert picker.candidates.count() == 2
    assert picker.candidates.selectedItems() == [], "no patient is chosen for the agent"
    assert not picker.choose_button.isEnabled()
    rows = [picker.candidates.item(i).text() for i in range(2)]
    for row, patient in zip(rows, patients[:2], strict=True):
        assert row.startswith(patient["given_name"] + " ")
        for value in _phi(patient):
            assert value not in row
    assert desk.audits() == [], "no card was viewed"
    desk.shoot("picker")

    desk.press(
        desk.panel,
        Qt.Key.Key_V,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert picker.candidates.hasFocus()
    desk.press(picker.candidates, Qt.Key.Key_Down)
    desk.press(picker.candidates, Qt.Key.Key_Down)
    desk.press(picker.candidates, Qt.Key.Key_Return)

    second = patients[1]
    assert call.patient_id == second["id"]
    assert desk.panel.page == "card"
    assert desk.panel.card.greeting.text() == second["given_name"]
    assert desk.panel.card.other_patient_button.isVisible()
    assert desk.audits() == [
        {
            "action": "view",
            "patient_id": second["id"],
            "reason": f"call {call.record_id}",
            "result": "ok",
        }
    ]

    desk.panel.card.other_patient_button.click()
    assert desk.panel.page == "picker"


def test_an_unknown_number_offers_a_search_by_name_and_birth_date_and_by_mrn(
    desk: Desk, patients: list[dict[str, Any]]
) -> None:
    call = desk.ring("c1", UNKNOWN_NUMBER)
    search = desk.panel.search
    assert desk.panel.page == "search"
    assert "No patient has this number" in search.title.text()
    assert not search.back_button.isVisible()
    desk.shoot("search")

    first = patients[4]
    search.family_name.setFocus()
    desk.type_into(search.family_name, first["family_name"].lower())
    desk.type_into(search.birth_date, "10 May 1971")
    desk.press(search.birth_date, Qt.Key.Key_Return)
    assert search.results.count() == 1 and search.results.hasFocus()
    desk.shoot("search-results")
    desk.press(search.results, Qt.Key.Key_Return)
    assert call.patient_id == first["id"] and desk.panel.page == "card"
    assert desk.panel.card.fields["birthDate"].text() == "•••• (verify to show)"

    desk.press(desk.panel, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert desk.panel.page == "search" and search.family_name.hasFocus()
    assert search.back_button.isVisible()
    second = patients[7]
    search.mrn.setText(second["mrn"])
    desk.press(search.mrn, Qt.Key.Key_Return)
    desk.press(search.results, Qt.Key.Key_Return)
    assert call.patient_id == second["id"]
    assert desk.panel.card.greeting.text() == second["given_name"]

    search_audits = [a for a in desk.audits() if a["action"] == "search"]
    reason = f"call {call.record_id}: patient search"
    assert search_audits == [
        {
            "action": "search",
            "patient_id": first["id"],
            "reason": reason,
            "result": "name+dob: 1 match(es)",
        },
        {
            "action": "search",
            "patient_id": second["id"],
            "reason": reason,
            "result": "mrn: 1 match(es)",
        },
    ]


def test_a_search_that_finds_nobody_says_so(desk: Desk) -> None:
    desk.ring("c1", UNKNOWN_NUMBER)
    search = desk.panel.search
    search.birth_date.setText("1961-07-04")
    search.search_button.click()
    assert search.result.text() == "Enter the family name and the date of birth, or the MRN."
    search.family_name.setText("Nobodyhere")
    search.birth_date.setText("31/31/1961")
    search.search_button.click()
    assert "could not be read" in search.result.text()
    search.birth_date.setText("1961-07-04")
    search.search_button.click()
    assert "No patient found" in search.result.text()
    assert not search.results.isVisible()
    assert [a["result"] for a in desk.audits()] == ["name+dob: 0 match(es)"]


@pytest.mark.parametrize(
    ("number", "name"),
    [("<b>x</b>", "<img src=x>\u202eevil"), ("anonymous", ""), ("", "Ring\nRing")],
    ids=["markup", "anonymous", "withheld"],
)
def test_a_caller_id_that_is_not_a_number_is_shown_as_text_and_offers_a_search(
    desk: Desk, number: str, name: str
) -> None:
    desk.ring("c1", number, name)
    panel = desk.panel
    assert panel.page == "search"
    assert panel.caller.textFormat() is Qt.TextFormat.PlainText
    assert panel.caller_name.textFormat() is Qt.TextFormat.PlainText
    if number:
        assert panel.caller.text() == f"Caller ID: {number}"
    else:
        assert panel.caller.text() == "Caller ID: withheld"
    if name:
        shown = panel.caller_name.text()
        assert "\u202e" not in shown and "\n" not in shown
        assert name.replace("\u202e", " ").replace("\n", " ") in shown
    else:
        assert not panel.caller_name.isVisible()
    if number == "<b>x</b>":
        desk.shoot("caller-id-markup")


def test_reveal_with_a_reason_unmasks_the_card_and_is_audited(
    desk: Desk, patients: list[dict[str, Any]]
) -> None:
    patient = patients[SINGLE]
    call = desk.ring("c1", patient["phones"][0]["number"])
    desk.answer("c1")
    identity = desk.panel.card.identity
    assert not identity.reveal_button.isEnabled(), "a reason first"
    identity.reveal_reason.setCurrentIndex(identity.reveal_reason.findData("other"))
    assert not identity.reveal_button.isEnabled(), "this reason needs a note"
    desk.shoot("card-reveal-form")
    identity.reveal_note.setText("supervisor  approved")
    desk.press(identity.reveal_note, Qt.Key.Key_Return)

    assert call.identity.state is Verification.REVEALED
    assert desk.panel.card.badge.text() == "Shown without verification"
    assert desk.panel.card.fields["birthDate"].text() == patient["birth_date"]
    audits = desk.audits()
    assert audits[-1] == {
        "action": "reveal",
        "patient_id": patient["id"],
        "reason": f"call {call.record_id}: other: supervisor approved",
        "result": "card",
    }
    _assert_no_phi(audits, patients)


def test_the_card_stays_read_only_for_wrap_up_until_it_is_done(
    desk: Desk, patients: list[dict[str, Any]]
) -> None:
    patient = patients[SINGLE]
    call = desk.ring("c1", patient["phones"][0]["number"])
    desk.answer("c1")
    desk.end("c1")
    panel = desk.panel
    assert panel.page == "card" and panel.call is call
    assert panel.call_state.text() == "Call ended: wrap-up"
    assert panel.card.read_only_banner.isVisible()
    assert not panel.card.identity.isVisible() and not panel.card.search_button.isVisible()
    desk.press(panel, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert panel.page == "card", "no search once the call is over"
    desk.shoot("card-wrap-up")

    assert desk.session.complete_wrap_up(call.record_id)
    assert panel.page == "idle" and panel.call is None
    assert not panel.header.isVisible()
    desk.shoot("idle")
    assert [a["action"] for a in desk.audits()] == ["view"], "viewed once for the whole call"


def test_a_new_call_replaces_the_wrap_up_card(
    store: AgentStore, patients: list[dict[str, Any]], qtbot: QtBot
) -> None:
    desk = make_desk(store, qtbot, not_ready_policy=IncomingPolicy.RING_AND_DECLINE)
    desk.ring("c1", patients[SINGLE]["phones"][0]["number"])
    desk.answer("c1")
    desk.end("c1")
    second = desk.ring("c2", HOUSEHOLD_NUMBER)
    assert desk.panel.call is second and desk.panel.page == "picker"


def test_a_waiting_call_does_not_take_the_card_of_the_call_in_progress(
    desk: Desk, patients: list[dict[str, Any]]
) -> None:
    first = desk.ring("c1", patients[SINGLE]["phones"][0]["number"])
    desk.answer("c1")
    desk.ring("c2", UNKNOWN_NUMBER)
    assert desk.panel.call is first and desk.panel.page == "card"
    desk.answer("c2")  # the first goes on hold
    assert desk.panel.call is not first and desk.panel.page == "search"


def test_a_card_whose_view_cannot_be_audited_is_not_shown(
    desk: Desk, patients: list[dict[str, Any]]
) -> None:
    desk.store.journal.close()  # every audit write now fails
    desk.ring("c1", patients[SINGLE]["phones"][0]["number"])
    assert desk.panel.page == "message"
    assert "audit log" in desk.panel.message.text()
    assert patients[SINGLE]["given_name"] not in _shown_text(desk.panel)


def _unnamed_controls(root: QWidget) -> list[str]:
    controls = [w for w in root.findChildren(QWidget) if w.isVisible()]
    focusable = [w for w in controls if w.focusPolicy() & Qt.FocusPolicy.TabFocus]
    return [w.objectName() or type(w).__name__ for w in focusable if not w.accessibleName()]


def test_every_control_has_an_accessible_name_and_shortcuts_show_in_tooltips(
    desk: Desk, patients: list[dict[str, Any]]
) -> None:
    desk.ring("c1", HOUSEHOLD_NUMBER)
    assert _unnamed_controls(desk.panel) == []
    assert desk.panel.picker.search_button.toolTip().endswith("(Ctrl+F)")
    desk.panel.picker.candidates.setCurrentRow(0)
    desk.panel.picker.choose_button.click()
    assert desk.panel.page == "card"
    assert _unnamed_controls(desk.panel) == []
    assert desk.panel.card.identity.verify_button.toolTip() == "Check identity (Ctrl+Shift+V)"
    desk.panel.open_search()
    assert _unnamed_controls(desk.panel) == []


def test_the_panel_fills_the_group_box_it_is_given_and_names_an_outbound_number(
    store: AgentStore, patients: list[dict[str, Any]], qtbot: QtBot
) -> None:
    desk = make_desk(store, qtbot)
    box = QGroupBox()
    qtbot.addWidget(box)
    panel = PatientPanel(desk.session, store, box)
    layout = box.layout()
    assert layout is not None and layout.indexOf(panel) == 0

    call = desk.session.dial(patients[SINGLE]["phones"][1]["number"])
    assert call is not None
    assert panel.call is call and panel.page == "card"
    assert panel.caller.text() == f"Number called: {patients[SINGLE]['phones'][1]['number']}"
    assert panel.call_state.text() == "Calling…"


class FailingAudit:
    """The journal's audit, or a full disk while ``fail`` is set."""

    def __init__(self, store: AgentStore) -> None:
        self.store, self.fail = store, False

    def __call__(self, action: str, *, patient_id: str | None, reason: str, result: str) -> str:
        if self.fail:
            raise DiskFullError("journal: the disk is full; nothing was written")
        return self.store.journal.audit(action, patient_id=patient_id, reason=reason, result=result)


def test_the_card_comes_once_its_view_is_audited_and_is_audited_once(
    store: AgentStore, patients: list[dict[str, Any]], qtbot: QtBot
) -> None:
    audit = FailingAudit(store)
    desk = make_desk(store, qtbot, audit=audit)
    patient = patients[SINGLE]
    audit.fail = True
    call = desk.ring("c1", patient["phones"][0]["number"])
    assert desk.panel.page == "message"
    assert "could not be written to the audit log" in desk.panel.message.text()
    assert patient["given_name"] not in _shown_text(desk.panel)
    assert not desk.session.record_viewed(call.record_id, patient["id"])
    assert desk.audits() == []

    audit.fail = False
    desk.answer("c1")  # the next change of the call tries again
    assert desk.panel.page == "card"
    assert desk.panel.card.greeting.text() == patient["given_name"]
    assert [a["action"] for a in desk.audits()] == ["view"]


def test_the_cards_calling_rules_indicator_turns_from_green_to_amber_to_red(
    desk: Desk, patients: list[dict[str, Any]]
) -> None:
    """The patients live in Chicago: noon there is green, 20:45 amber (the hours end at 21:00),
    22:00 red; the indicator follows the clock on its timer, in words as well as colour."""
    moment = [datetime(2026, 3, 2, 18, 0, tzinfo=UTC)]  # 12:00 in Chicago, a Monday
    store = desk.store
    desk.session.gate = DialGate(
        lookup=lambda number: [r.id for r in store.caller_lookup(number)],
        reads=CacheReads(lambda: store.cache),
        rules=shared_rules,
        now=lambda: moment[0],
    )
    desk.ring("c1", patients[SINGLE]["phones"][0]["number"])
    card = desk.panel.card
    assert desk.panel.page == "card"
    assert card.compliance.isVisible()
    assert card.compliance.text() == "May be called"
    assert card.compliance.property("level") == "ok"
    assert not card.compliance_reason.isVisible()
    assert card.compliance.accessibleName() == "Calling rules"
    assert card.compliance.accessibleDescription() == "May be called"
    desk.shoot("card-compliance-green")

    desk.session.gate.judge_with(lambda: datetime(2026, 3, 3, 2, 45, tzinfo=UTC))
    desk.panel._compliance_timer.timeout.emit()  # the timer's tick, without waiting 30 s
    assert card.compliance.text() == "Calling hours closing"
    assert card.compliance.property("level") == "warning"
    assert "21:00" in card.compliance_reason.text() and card.compliance_reason.isVisible()

    desk.session.gate.judge_with(lambda: datetime(2026, 3, 3, 4, 0, tzinfo=UTC))
    desk.panel._compliance_timer.timeout.emit()
    assert card.compliance.text() == "Not callable now"
    assert card.compliance.property("level") == "problem"
    assert card.compliance_reason.text() == (
        "Outside the patient's calling hours: 22:00 in America/Chicago"
    )
    assert card.compliance_reason.text() in card.compliance.accessibleDescription()
    desk.shoot("card-compliance-red")


def test_the_cards_indicator_turns_red_as_soon_as_the_patient_opts_out(
    desk: Desk, patients: list[dict[str, Any]]
) -> None:
    store = desk.store
    gate = DialGate(
        lookup=lambda number: [r.id for r in store.caller_lookup(number)],
        reads=CacheReads(lambda: store.cache),
        rules=shared_rules,
        now=lambda: datetime(2026, 3, 2, 18, 0, tzinfo=UTC),
    )
    desk.session.gate = gate
    desk.ring("c1", patients[SINGLE]["phones"][0]["number"])
    card = desk.panel.card
    assert card.compliance.property("level") == "ok"
    gate.opt_out(patients[SINGLE + 1]["id"])  # another patient: this card stays green
    assert card.compliance.property("level") == "ok"
    gate.opt_out(patients[SINGLE]["id"])  # no event of the desk's: the gate itself tells
    assert card.compliance.text() == "Not callable now"
    assert card.compliance_reason.text() == "The patient asked not to be called (do-not-call)."


def test_a_card_without_calling_rules_shows_no_indicator(
    desk: Desk, patients: list[dict[str, Any]]
) -> None:
    desk.ring("c1", patients[SINGLE]["phones"][0]["number"])
    assert desk.panel.page == "card"
    assert not desk.panel.card.compliance.isVisible()


class _PaintWatch(QObject):
    """What a label showed, and whether it fitted, each time it painted."""

    def __init__(self) -> None:
        super().__init__()
        self.paints: list[tuple[str, bool]] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and isinstance(watched, QLabel):
            fits = watched.width() >= watched.sizeHint().width()
            self.paints.append((watched.text(), fits))
        return False


def test_a_ringing_callers_card_is_laid_out_and_painted_before_the_rest_of_the_desk(
    store: AgentStore, patients: list[dict[str, Any]], qtbot: QtBot
) -> None:
    engine = FakeEngine()
    session = AgentSession(
        send=engine,
        outbox=store.journal,
        audit=store.journal.audit,
        lookup=lambda number: [r.id for r in store.caller_lookup(number)],
        settings=DeskSettings(account_id=ACCOUNT),
        clock=ManualClock(),
        server_now=ServerTime(),
    )
    session.handle(p.RegistrationChanged(ACCOUNT, "registered", 200))
    session.go_ready()
    # The rest of the desk (the softphone, the bars) listens from before the panel exists.
    seen_by_the_rest: list[list[tuple[str, bool]]] = []
    session.subscribe(lambda event: seen_by_the_rest.append(list(watch.paints)))
    panel = PatientPanel(session, store)
    qtbot.addWidget(panel)
    panel.resize(560, 820)
    with qtbot.waitExposed(panel):
        panel.show()
    watch = _PaintWatch()
    panel.card.greeting.installEventFilter(watch)
    patient = patients[SINGLE]

    session.handle(p.IncomingCall("c1", ACCOUNT, patient["phones"][0]["number"], "", "sip:x@pbx"))

    # Painted, with the caller's name at a width that fits it, before handle() returned and
    # before the rest of the desk heard of the ring.
    assert (patient["given_name"], True) in watch.paints
    assert seen_by_the_rest
    assert (patient["given_name"], True) in seen_by_the_rest[0]
    # A ring without a card to show (an unknown number) paints nothing early.
    session.handle(p.CallEnded("c1", 487, "Request Terminated", "remote"))
    watch.paints.clear()
    session.handle(p.IncomingCall("c2", ACCOUNT, UNKNOWN_NUMBER, "", "sip:y@pbx"))
    assert watch.paints == []


def test_a_card_too_tall_for_its_panel_is_read_from_the_top_when_revealed_and_for_each_caller(
    store: AgentStore, patients: list[dict[str, Any]], qtbot: QtBot
) -> None:
    """In the desk the panel is a few hundred pixels tall: the identity form at the bottom
    scrolls the card down while the agent types, and the revealed card (or the next caller's)
    must show from the caller's name, not the last rows."""
    # A ring during the wrap-up is offered (the next caller's card replaces this one).
    desk = make_desk(store, qtbot, not_ready_policy=IncomingPolicy.RING_AND_DECLINE)
    desk.panel.resize(560, 300)
    scroll = desk.panel.card_page.verticalScrollBar()
    patient = patients[SINGLE]
    desk.ring("c1", patient["phones"][0]["number"])
    desk.answer("c1")
    desk.press(
        desk.panel,
        Qt.Key.Key_V,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    identity = desk.panel.card.identity
    desk.panel.card_page.ensureWidgetVisible(identity.birth_date)  # where the agent types
    assert scroll.value() > 0
    desk.type_into(identity.family_name, patient["family_name"])
    desk.type_into(identity.birth_date, "1/23/1941")
    desk.press(identity.birth_date, Qt.Key.Key_Return)
    QApplication.processEvents()

    assert desk.panel.card.fields["fullName"].text().endswith(patient["family_name"])
    assert scroll.value() == 0
    assert not desk.panel.card.greeting.visibleRegion().isEmpty()
    desk.shoot("card-verified-short-panel")

    scroll.setValue(scroll.maximum())
    desk.end("c1")  # the card turns read-only for the wrap-up
    QApplication.processEvents()
    assert scroll.value() == 0
    scroll.setValue(scroll.maximum())
    other = patients[SINGLE + 1]
    desk.ring("c2", other["phones"][0]["number"])
    QApplication.processEvents()
    assert desk.panel.card.greeting.text() == other["given_name"]
    assert scroll.value() == 0
