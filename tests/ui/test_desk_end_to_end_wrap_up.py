"""After-call work end to end: the real sign-in, store, engine process and pulse-phone peers,
the window the app composes, and the central server that must receive each disposition
exactly once (read from its database), also when it was down while the agent worked."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDateTime, QTime
from PySide6.QtWidgets import QApplication, QDateTimeEdit
from pytestqt.qtbot import QtBot

from agent_app.views.disposition_panel import CODE_ROLE, DispositionPanel
from agent_app.workflow.agent_state import AgentState
from agent_app.workflow.call_session import CallPhase, CallSession
from testbed.ports import free_port
from testbed.sync_server import RealServer
from tests.helpers.telephony_peers import Phone
from tests.ui.central_desk import PATIENTS, CentralDesk, NoMouse, open_desk, start_central
from tests.ui.desk_rig import DeskRig

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CALLBACK = "CALLBACK"
CALLBACK_FIELD = "callback_at"


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
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
    qtbot: QtBot, secret_backend: object, clean_keyring: None
) -> Iterator[Callable[..., CentralDesk]]:
    made: list[CentralDesk] = []

    def make(server: RealServer, **options: Any) -> CentralDesk:
        desk = open_desk(qtbot, server, secret_backend, **options)
        made.append(desk)
        return desk

    yield make
    for desk in made:
        desk.stop()


def _panel(rig: DeskRig) -> DispositionPanel:
    panel = rig.window.disposition
    assert panel is not None, "the window has a disposition panel"
    return panel


def _go_ready(rig: DeskRig) -> None:
    rig.press("ready")
    rig.wait(lambda: rig.session.state is AgentState.READY, "Ready after F9")


def _answered_and_ended(rig: DeskRig, peers: Callable[..., Phone], number: str) -> CallSession:
    """A caller rings, the agent answers with the keyboard and hangs up."""
    caller = peers("call", rig.address, "--username", number, "--duration", "60", "--timeout", "60")
    caller.ready()
    rig.wait(lambda: rig.session.offered_call is not None, "the call rings")
    call = rig.session.offered_call
    assert call is not None
    rig.press("answer")
    rig.wait(lambda: call.phase is CallPhase.TALKING, "talking after Ctrl+Shift+A")
    rig.press("hangup")
    rig.wait(lambda: not rig.session.calls, "hung up")
    return call


def _wrap_up_starts(rig: DeskRig, call: CallSession) -> DispositionPanel:
    panel = _panel(rig)
    rig.wait(lambda: panel.work is not None and panel.work.call is call, "the wrap-up is on screen")
    rig.wait(panel.filter_box.hasFocus, "the keys go to the outcome filter")
    assert rig.session.state is AgentState.WRAP_UP
    return panel


def _choose_callback(rig: DeskRig, panel: DispositionPanel) -> QDateTimeEdit:
    """Type the code's name and Enter: the code is chosen, the keys go to its time field."""
    rig.type_text("callback")
    rig.press_keys("Return")
    work = panel.work
    assert work is not None and work.code == CALLBACK
    editor = panel.rows[CALLBACK_FIELD].editor
    assert isinstance(editor, QDateTimeEdit)
    assert editor.hasFocus()
    return editor


def _tomorrow_at_ten(editor: QDateTimeEdit) -> QDateTime:
    """Inside every calling window, in the zone the editor shows (the patient's)."""
    now = QDateTime.currentDateTime().toTimeZone(editor.timeZone())
    return QDateTime(now.date().addDays(1), QTime(10, 0), editor.timeZone())


def _dispositions(server: RealServer, record_id: str) -> list[dict[str, Any]]:
    return [
        payload
        for item_id, _kind, payload in server.intake_rows("disposition")
        if item_id == record_id or payload.get("call_id") == record_id
    ]


def _arrives_once(desk: CentralDesk, record_id: str) -> dict[str, Any]:
    """The server has the call's disposition, once, after the journal is delivered."""
    desk.journal_delivered()
    found = _dispositions(desk.server, record_id)
    assert len(found) == 1, f"{len(found)} dispositions of the call at the server"
    return found[0]


def test_a_callback_disposition_reaches_the_server_exactly_once(
    desks: Callable[..., CentralDesk], central: RealServer, peers: Callable[..., Phone]
) -> None:
    desk = desks(central)
    rig = desk.rig
    rig.window.resize(1366, 768)  # the smallest screen the desk is made for
    _go_ready(rig)
    call = _answered_and_ended(rig, peers, PATIENTS["single"].phone)
    panel = _wrap_up_starts(rig, call)
    assert panel.call_title.text().endswith(PATIENTS["single"].phone)
    assert "talking" in panel.call_details.text()
    editor = _choose_callback(rig, panel)

    rig.press("submit_disposition")  # the time is still missing: refused, and said where
    row = panel.rows[CALLBACK_FIELD]
    assert row.problem.isVisible() and row.problem.text()
    assert rig.session.wrap_ups, "nothing was submitted"
    rig.shot("wrap-up-01-callback-missing-time")

    moment = _tomorrow_at_ten(editor)
    editor.setDateTime(moment)
    assert not row.problem.isVisible(), row.problem.text()
    rig.press_keys("Tab")
    assert panel.notes.hasFocus()
    rig.type_text("Asked to be called after the pharmacy opens.")
    work = panel.work
    assert work is not None and work.notes.startswith("Asked to be called")
    rig.shot("wrap-up-02-callback-ready")

    rig.press("submit_disposition")
    rig.wait(lambda: not rig.session.wrap_ups, "the wrap-up is done")
    assert rig.session.state is AgentState.READY
    assert panel.work is None and panel.pages.currentWidget() is panel.idle_page
    assert not panel.submit(), "a second submit has nothing to submit"

    record = _arrives_once(desk, call.record_id)
    assert record["code"] == CALLBACK
    assert record["notes"] == "Asked to be called after the pharmacy opens."
    sent = datetime.fromisoformat(str(record["fields"][CALLBACK_FIELD]))
    assert sent.timestamp() == moment.toSecsSinceEpoch()


def test_a_disposition_made_while_the_server_is_down_arrives_once_it_is_back(
    desks: Callable[..., CentralDesk],
    peers: Callable[..., Phone],
    tmp_path: Path,
) -> None:
    server = start_central(RealServer(tmp_path / "central", patients=20))
    try:
        desk = desks(server)
        rig = desk.rig
        server.stop()
        _go_ready(rig)
        call = _answered_and_ended(rig, peers, PATIENTS["searched"].phone)
        panel = _wrap_up_starts(rig, call)
        editor = _choose_callback(rig, panel)
        editor.setDateTime(_tomorrow_at_ten(editor))
        rig.press("submit_disposition")
        rig.wait(lambda: not rig.session.wrap_ups, "submitted while the server is down")
        assert _dispositions(server, call.record_id) == []
        assert desk.store.journal.counts().unsynced > 0, "the disposition waits in the journal"

        server.start()
        # The worker may be in a minute-long backoff: tell it the way is clear, as the
        # desk's network watch does when the network comes back.
        desk.desktop.service.engine.nudge()
        record = _arrives_once(desk, call.record_id)
        assert record["code"] == CALLBACK
    finally:
        server.stop()


def test_a_wrap_up_from_the_keyboard_alone(
    desks: Callable[..., CentralDesk], central: RealServer, peers: Callable[..., Phone]
) -> None:
    desk = desks(central)
    rig = desk.rig
    mouse = NoMouse()
    application = QApplication.instance()
    assert application is not None
    application.installEventFilter(mouse)
    try:
        _go_ready(rig)
        call = _answered_and_ended(rig, peers, PATIENTS["household_a"].phones[1][0])
        panel = _wrap_up_starts(rig, call)
        rig.press("ready")  # Ready is refused while the disposition is owed, and says why
        assert rig.session.state is AgentState.WRAP_UP
        bar = rig.window.agent_bar
        assert bar is not None and "submit the disposition" in bar.note.text()
        rig.shot("wrap-up-03-ready-refused")

        rig.type_text("confirm")
        rig.press_keys("Down")  # into the filtered tree, on the one code left
        assert panel.tree.hasFocus()
        current = panel.tree.currentItem()
        assert current is not None and current.data(0, CODE_ROLE) == "CONFIRMED"
        work = panel.work
        assert work is not None and work.code == "CONFIRMED"
        rig.press_keys("Return")  # on to the details: this code has none, so the notes
        assert panel.notes.hasFocus()
        rig.type_text("Confirmed for Tuesday.")
        rig.press_keys("Tab")
        assert panel.submit_button.hasFocus()
        rig.press_keys("Space")
        rig.wait(lambda: not rig.session.wrap_ups, "submitted with the keyboard")
        assert rig.session.state is AgentState.READY
        assert bar.note.text() == "" or "submit" not in bar.note.text()
    finally:
        application.removeEventFilter(mouse)
    assert mouse.seen == 0, "the wrap-up used the mouse"
    record = _arrives_once(desk, call.record_id)
    assert (record["code"], record["notes"]) == ("CONFIRMED", "Confirmed for Tuesday.")


def test_a_busy_outbound_call_is_disposed_with_one_key(
    desks: Callable[..., CentralDesk], central: RealServer, peers: Callable[..., Phone]
) -> None:
    port = free_port()
    busy = peers("listen", "--port", str(port), "--decline", "486")
    busy.ready()
    desk = desks(central, domain=f"127.0.0.1:{port}")
    rig = desk.rig
    _go_ready(rig)
    rig.press("dial_focus")
    rig.type_text(PATIENTS["dialled"].phone)
    rig.press_keys("Return")
    rig.wait(lambda: len(rig.session.wrap_ups) == 1, "the failed attempt owes a wrap-up")
    [item] = rig.session.wrap_ups
    call = item.call
    assert not call.answered
    panel = _wrap_up_starts(rig, call)
    work = panel.work
    assert work is not None
    rig.wait(lambda: work.code is not None, "a system code is chosen for a failed call")
    system_code = work.code
    assert "486" in panel.call_details.text() and "not answered" in panel.call_details.text()
    selected = panel.tree.currentItem()
    assert selected is not None and selected.data(0, CODE_ROLE) == system_code
    rig.shot("wrap-up-04-failed-call")

    rig.press_keys("Return")  # the one key
    rig.wait(lambda: not rig.session.wrap_ups, "submitted with one key")
    record = _arrives_once(desk, call.record_id)
    assert record["code"] == system_code
