"""The agent desk end to end: a real sign-in to the central server, the encrypted store
synced from it, the real engine process, pulse-phone callers and transfer targets on
loopback, and the window the app composes. After each flow the journal is delivered and
the server's copy of the audit trail names the call and the patient's id, and nothing else."""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from agent_app.telephony import protocol as p
from agent_app.workflow.agent_state import AgentState
from agent_app.workflow.call_session import CallPhase
from agent_app.workflow.identity_gate import MatchKind, Verification
from testbed.ports import free_port
from testbed.sync_server import RealServer
from tests.helpers.telephony_peers import Phone
from tests.ui.central_desk import (
    HOUSEHOLD_NUMBER,
    PATIENTS,
    UNKNOWN_NUMBER,
    CentralDesk,
    NoMouse,
    audits_at_server,
    open_desk,
    start_central,
)
from tests.ui.desk_rig import DeskRig

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MASKED = "(verify to show)"


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    """One central server for the module, seeded with the demo world and the test patients;
    every test signs in anew, on a store of its own."""
    server = RealServer(tmp_path_factory.mktemp("central"), patients=20)
    try:
        yield start_central(server)
    finally:
        server.stop()


@pytest.fixture
def clean_keyring(secret_service_env: dict[str, str]) -> None:
    """The keyring daemon lives for the whole run: start each test without Pulse secrets."""
    import secretstorage

    connection = secretstorage.dbus_init()
    try:
        collection = secretstorage.get_default_collection(connection)
        for item in collection.search_items({"service": "Pulse"}):
            item.delete()
    finally:
        connection.close()


@pytest.fixture
def desks(
    qtbot: QtBot, central: RealServer, secret_backend: object, clean_keyring: None
) -> Iterator[Callable[..., CentralDesk]]:
    made: list[CentralDesk] = []

    def make(**options: Any) -> CentralDesk:
        desk = open_desk(qtbot, central, secret_backend, **options)
        made.append(desk)
        return desk

    yield make
    for desk in made:
        desk.stop()


def _caller(peers: Callable[..., Phone], rig: DeskRig, number: str) -> Phone:
    caller = peers("call", rig.address, "--username", number, "--duration", "60", "--timeout", "60")
    caller.ready()
    return caller


def _listener(peers: Callable[..., Phone]) -> tuple[Phone, int]:
    """A pulse-phone that answers whatever reaches its port (a nurse line, a patient)."""
    port = free_port()
    peer = peers("listen", "--port", str(port), "--auto-answer")
    peer.ready()
    return peer, port


def _shown_text(widget: QWidget) -> str:
    return "\n".join(label.text() for label in widget.findChildren(QLabel) if label.isVisible())


def _tab_to(rig: DeskRig, target: QWidget, limit: int = 12) -> None:
    """Tab until ``target`` has the focus (the way an agent moves between fields)."""
    for _ in range(limit):
        if QApplication.focusWidget() is target:
            return
        rig.press_keys("Tab")
    assert QApplication.focusWidget() is target, f"Tab never reached {target.objectName()}"


def _go_ready(rig: DeskRig) -> None:
    rig.press("ready")
    rig.wait(lambda: rig.session.state is AgentState.READY, "Ready after F9")


def _verify_by_keyboard(desk: CentralDesk, family_name: str, birth_date: str) -> None:
    rig, identity = desk.rig, desk.patients.card.identity
    rig.press("verify")
    rig.wait(identity.family_name.hasFocus, "Ctrl+Shift+V goes to the identity form")
    rig.type_text(family_name)
    _tab_to(rig, identity.birth_date)
    rig.type_text(birth_date)
    rig.press_keys("Return")


def _check_trail(
    desk: CentralDesk, record_id: str, patient_id: str, expected: Counter[str]
) -> list[dict[str, Any]]:
    """The call's audit events at the server: each names the call and the patient's id."""
    trail = desk.audits(record_id, expected)
    for event in trail:
        assert event["patient_id"] == patient_id
        if event["action"] == "search":
            assert event["reason"] == f"call {record_id}: patient search"
        else:
            assert event["reason"] == f"call {record_id}"
    return trail


def test_a_known_caller_from_the_first_ring_to_a_warm_transfer_and_wrap_up(
    desks: Callable[..., CentralDesk], peers: Callable[..., Phone]
) -> None:
    nurse_line, nurse_port = _listener(peers)
    desk = desks(domain=f"127.0.0.1:{nurse_port}")  # the directory's extensions ring there
    rig, panel, card = desk.rig, desk.patients, desk.patients.card
    patient, patient_id = PATIENTS["single"], desk.patient_id("single")
    _go_ready(rig)
    _caller(peers, rig, patient.phone)

    rig.wait(lambda: panel.page == "card", "the card pops while the call rings")
    call = rig.session.offered_call
    assert call is not None and call.phase is CallPhase.RINGING
    assert call.patient_id == patient_id and panel.call is call
    assert panel.call_state.text() == "Incoming call, ringing"
    assert card.greeting.text() == patient.given_name
    assert card.badge.text() == "Not verified yet"
    for field in ("fullName", "birthDate", "mrn"):
        assert card.fields[field].text().endswith(MASKED), field
    shown = _shown_text(card)
    for value in patient.phi():
        assert value not in shown, "a masked field shows patient data"
    rig.shot("e2e-01-ringing-card")

    rig.press("answer")
    rig.wait(lambda: call.phase is CallPhase.TALKING, "talking after Ctrl+Shift+A")
    _verify_by_keyboard(desk, patient.family_name, patient.birth_date)
    rig.wait(lambda: call.identity.state is Verification.VERIFIED, "verified by two identifiers")
    assert card.badge.text() == "Identity verified"
    assert card.fields["fullName"].text() == f"{patient.given_name} {patient.family_name}"
    assert card.fields["birthDate"].text() == patient.birth_date
    assert card.fields["mrn"].text() == patient.mrn
    assert patient.phone in card.fields["phones"].text()
    rig.shot("e2e-02-verified")

    rig.press("hold")
    rig.wait(lambda: call.media_state == "local_hold", "the engine holds the call")
    assert panel.call_state.text() == "On hold"
    rig.press("hold")
    rig.wait(lambda: call.media_state == "active", "the call is resumed")
    assert call.phase is CallPhase.TALKING

    rig.press("transfer")
    dialog = rig.panel.transfer_dialog
    assert dialog is not None
    rig.wait(lambda: QApplication.focusWidget() is dialog.target, "typing goes to the dialog")
    rig.type_text("nurse")
    rig.press_keys("Down")
    assert dialog.target.text() == "Nurse line", "the server's directory reached the desk"
    rig.press_keys("Alt+F")  # "Talk to them first"
    rig.wait(lambda: dialog.mode.value == "warm", "warm transfer chosen")
    rig.press_keys("Return")
    rig.wait(lambda: rig.session.consultation is not None, "the nurse line is called")
    about, consult = rig.session.consultation or (None, None)
    assert about is call and consult is not None
    rig.wait(lambda: consult.phase is CallPhase.TALKING, "the nurse line answered")
    assert call.phase is CallPhase.HELD
    # The nurse is asked about this patient: the card stays, verified, beside the consult.
    assert panel.call is call and panel.page == "card"
    assert panel.call_state.text() == "On hold"
    assert card.fields["birthDate"].text() == patient.birth_date
    rig.shot("e2e-03-consulting")

    rig.wait(rig.window.isActiveWindow, "the window has the keyboard again")
    rig.press("transfer")  # with the nurse on the line: complete the transfer
    assert rig.peer_event(nurse_line.events, p.CallReplaced).new_call_id
    rig.wait(lambda: not rig.session.calls, "both legs left the desk")
    assert call.end_reason == "transferred"
    assert rig.session.state is AgentState.WRAP_UP
    assert [w.record_id for w in rig.session.wrap_ups] == [call.record_id]
    assert panel.call is call and panel.page == "card"
    assert panel.call_state.text() == "Call ended: wrap-up"
    assert card.read_only_banner.isVisible()
    rows = [
        rig.panel.history.history.item(i).text() for i in range(rig.panel.history.history.count())
    ]
    assert any(patient.phone in row for row in rows), "the call is in the shift's history"
    rig.shot("e2e-04-wrap-up")

    trail = _check_trail(desk, call.record_id, patient_id, Counter(view=1, verify_identity=1))
    assert {e["action"]: e["result"] for e in trail}["verify_identity"] == "verified"
    assert rig.session.complete_wrap_up(call.record_id)
    assert panel.page == "idle"


def test_a_household_number_shows_the_picker_and_no_card_until_the_agent_chooses(
    desks: Callable[..., CentralDesk], peers: Callable[..., Phone]
) -> None:
    desk = desks()
    rig, panel, picker = desk.rig, desk.patients, desk.patients.picker
    household = {desk.patient_id(k): PATIENTS[k] for k in ("household_a", "household_b")}
    _go_ready(rig)
    _caller(peers, rig, HOUSEHOLD_NUMBER)

    rig.wait(lambda: panel.page == "picker", "the picker shows while the call rings")
    call = rig.session.offered_call
    assert call is not None and call.match.kind is MatchKind.SEVERAL
    assert sorted(call.match.candidates) == sorted(household)
    assert call.patient_id is None
    assert picker.candidates.count() == 2
    assert picker.candidates.selectedItems() == [], "nobody is chosen for the agent"
    assert not picker.choose_button.isEnabled()
    rows = [picker.candidates.item(i).text() for i in range(2)]
    assert sorted(row.split(" ")[0] for row in rows) == sorted(
        p.given_name for p in household.values()
    )
    for row in rows:
        for patient in household.values():
            for value in patient.phi():
                assert value not in row
    rig.shot("e2e-05-household-picker")

    rig.press("answer")
    rig.wait(lambda: call.phase is CallPhase.TALKING, "talking")
    assert panel.page == "picker" and call.patient_id is None, "still nobody chosen"
    desk.journal_delivered()
    assert audits_at_server(desk.server, call.record_id) == [], "no card was viewed"

    rig.press("verify")  # with several patients, the picker comes first
    rig.wait(picker.candidates.hasFocus, "Ctrl+Shift+V goes to the picker")
    rig.press_keys("Down")
    rig.press_keys("Down")
    chosen = picker.candidates.currentItem().data(Qt.ItemDataRole.UserRole)
    rig.press_keys("Return")
    assert call.patient_id == chosen and panel.page == "card"
    patient = household[chosen]
    assert panel.card.greeting.text() == patient.given_name
    assert panel.card.fields["birthDate"].text().endswith(MASKED)
    assert panel.card.other_patient_button.isVisible()
    rig.shot("e2e-06-household-chosen")

    rig.press("hangup")
    rig.wait(lambda: not rig.session.calls, "the call ended")
    _check_trail(desk, call.record_id, chosen, Counter(view=1))
    assert rig.session.complete_wrap_up(call.record_id)


def test_an_unknown_number_offers_the_search_and_the_mrn_finds_the_card(
    desks: Callable[..., CentralDesk], peers: Callable[..., Phone]
) -> None:
    desk = desks()
    rig, panel, search = desk.rig, desk.patients, desk.patients.search
    patient, patient_id = PATIENTS["searched"], desk.patient_id("searched")
    _go_ready(rig)
    _caller(peers, rig, UNKNOWN_NUMBER)

    rig.wait(lambda: panel.page == "search", "the search shows while the call rings")
    call = rig.session.offered_call
    assert call is not None and call.match.kind is MatchKind.NONE
    assert "No patient has this number" in search.title.text()
    rig.shot("e2e-07-unknown-search")
    rig.press("answer")
    rig.wait(lambda: call.phase is CallPhase.TALKING, "talking")

    rig.press("search")
    rig.wait(search.family_name.hasFocus, "Ctrl+F goes to the search")
    _tab_to(rig, search.mrn)
    rig.type_text(patient.mrn)
    rig.press_keys("Return")
    rig.wait(lambda: search.results.count() == 1, "the MRN finds one patient")
    assert search.results.hasFocus()
    rig.press_keys("Return")
    assert call.patient_id == patient_id and panel.page == "card"
    assert panel.card.greeting.text() == patient.given_name
    assert panel.card.fields["mrn"].text().endswith(MASKED)
    rig.shot("e2e-08-found-by-mrn")

    rig.press("hangup")
    rig.wait(lambda: not rig.session.calls, "the call ended")
    trail = _check_trail(desk, call.record_id, patient_id, Counter(search=1, view=1))
    assert {e["action"]: e["result"] for e in trail}["search"] == "mrn: 1 match(es)"
    assert rig.session.complete_wrap_up(call.record_id)


def test_not_ready_refuses_the_caller_with_486_and_shows_no_card(
    desks: Callable[..., CentralDesk], peers: Callable[..., Phone]
) -> None:
    desk = desks()
    rig = desk.rig
    assert rig.session.state is AgentState.NOT_READY  # a shift starts Not ready
    caller = _caller(peers, rig, PATIENTS["single"].phone)

    ended = rig.peer_event(caller.events, p.CallEnded)  # from pulse-phone's JSON events
    assert ended.code == 486
    rig.wait(lambda: rig.panel.history.missed.count() == 1, "the refused call is listed")
    assert rig.session.calls == () and desk.patients.page == "idle"
    [missed] = rig.session.missed
    desk.journal_delivered()
    assert audits_at_server(desk.server, missed.record_id) == [], "no card for a refused call"


def test_the_engine_killed_mid_call_is_reported_and_the_desk_takes_calls_again(
    desks: Callable[..., CentralDesk], peers: Callable[..., Phone]
) -> None:
    desk = desks()
    rig, panel = desk.rig, desk.patients
    first_patient = desk.patient_id("single")
    _go_ready(rig)
    first_caller = _caller(peers, rig, PATIENTS["single"].phone)
    rig.wait(lambda: panel.page == "card", "the card pops")
    rig.press("answer")
    first = rig.only_call()
    rig.wait(lambda: first.phase is CallPhase.TALKING, "talking")
    pid = rig.phone.engine_pid
    assert pid is not None

    os.kill(pid, signal.SIGKILL)
    rig.wait(lambda: not rig.session.calls, "the lost call left the desk", timeout=30_000)
    rig.wait(lambda: "restarted" in rig.window.status.currentMessage(), "the desk says so")
    assert "a call in progress was lost" in rig.panel.notice.text()
    assert [w.record_id for w in rig.session.wrap_ups] == [first.record_id]
    assert panel.call is first and panel.call_state.text() == "Call ended: wrap-up"
    rig.wait(lambda: rig.phone.engine_pid not in (None, pid), "a new engine process runs")
    rig.wait(lambda: rig.session.registered, "the phone takes calls again", timeout=30_000)
    assert rig.window.status.registration.text() == "Phone: ready (direct calls)"
    rig.shot("e2e-09-engine-restarted")
    first_caller.stop()

    assert rig.session.complete_wrap_up(first.record_id)
    _go_ready(rig)
    second_caller = _caller(peers, rig, PATIENTS["searched"].phone)
    rig.wait(lambda: rig.session.offered_call is not None, "a new call rings after the restart")
    second = rig.session.offered_call
    assert second is not None
    rig.wait(lambda: panel.call is second and panel.page == "card", "its card pops")
    assert panel.card.greeting.text() == PATIENTS["searched"].given_name
    rig.press("answer")
    rig.wait(lambda: second.phase is CallPhase.TALKING, "talking again")
    rig.press("hangup")
    assert rig.peer_event(second_caller.events, p.CallEnded).ended_by == "remote"

    _check_trail(desk, first.record_id, first_patient, Counter(view=1))
    _check_trail(desk, second.record_id, desk.patient_id("searched"), Counter(view=1))


def test_a_whole_call_from_the_keyboard_alone(
    desks: Callable[..., CentralDesk], peers: Callable[..., Phone]
) -> None:
    callee, callee_port = _listener(peers)
    desk = desks(domain=f"127.0.0.1:{callee_port}")
    rig, panel = desk.rig, desk.patients
    patient, patient_id = PATIENTS["dialled"], desk.patient_id("dialled")
    mouse = NoMouse()
    application = QApplication.instance()
    assert application is not None
    application.installEventFilter(mouse)
    try:
        _go_ready(rig)
        rig.press("dial_focus")
        assert QApplication.focusWidget() is rig.panel.number
        national = f"({patient.phone[2:5]}) {patient.phone[5:8]}-{patient.phone[8:]}"
        QApplication.clipboard().setText(f"Cell: {national}, evenings")
        rig.press_keys("Ctrl+V")
        assert rig.panel.number_hint.text() == f"Calls {patient.phone}"
        rig.press_keys("Return")

        rig.wait(lambda: len(rig.session.calls) == 1, "the call is placed")
        call = rig.only_call()
        assert call.number == patient.phone
        assert rig.peer_event(callee.events, p.IncomingCall).number == "agent"
        rig.wait(lambda: call.phase is CallPhase.TALKING, "the patient answered")
        rig.wait(lambda: panel.page == "card", "the card of the number dialled")
        assert panel.caller.text() == f"Number called: {patient.phone}"
        assert panel.card.greeting.text() == patient.given_name

        _verify_by_keyboard(desk, patient.family_name.upper(), patient.birth_date)
        rig.wait(lambda: call.identity.state is Verification.VERIFIED, "verified")
        assert panel.card.fields["birthDate"].text() == patient.birth_date
        rig.press("hold")
        rig.wait(lambda: call.media_state == "local_hold", "held")
        rig.press("hold")
        rig.wait(lambda: call.media_state == "active", "resumed")
        rig.shot("e2e-10-keyboard-call")

        rig.press("hangup")
        rig.wait(lambda: not rig.session.calls, "hung up")
        assert rig.peer_event(callee.events, p.CallEnded).ended_by == "remote"
        assert rig.session.state is AgentState.WRAP_UP
        assert [w.record_id for w in rig.session.wrap_ups] == [call.record_id]
    finally:
        application.removeEventFilter(mouse)
    assert mouse.seen == 0, "the flow used the mouse"
    _check_trail(desk, call.record_id, patient_id, Counter(view=1, verify_identity=1))
